"""sanbiao service: the Litestar app, the store, ingest, the CLI."""

__version__ = "0.1.0"
