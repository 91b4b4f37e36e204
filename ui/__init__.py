"""sanbiao: ui."""
