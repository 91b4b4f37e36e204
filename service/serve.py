"""Run the service under uvicorn."""

from __future__ import annotations

import uvicorn

from service.app import create_app
from service.settings import Settings


def run(settings: Settings, *, host: str, port: int) -> None:
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=False)
