"""sanbiao: followup."""
