"""sanbiao: stratify."""
