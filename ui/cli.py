"""The `sanbiao` console script: the service's commands (`service.cli`) and those that serve the
pages too, `serve` and `demo`."""

from __future__ import annotations

import logging
import os
import socket

import click
import msgspec
import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from service.cli import CliContext, cli
from service.demo import prepare_demo
from service.settings import Settings

log = logging.getLogger(__name__)


def _tcp_socket(host: str, port: int, *, shared: bool) -> socket.socket:
    """A TCP socket bound to host:port; `shared`: with SO_REUSEPORT, so other workers' sockets may bind
    the same port. Made with IPPROTO_TCP: accepted connections inherit the mark, and asyncio turns
    Nagle's algorithm off only for those (uvicorn issue #3149; a keep-alive request took 48 ms, not 5)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if shared:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def worker_socket(host: str, port: int) -> socket.socket:
    """A worker's own listening socket on the port its fellow workers share (SO_REUSEPORT): the kernel
    spreads new connections over them. On one socket shared by all, the first worker to wake accepted
    a whole burst (20 phones connecting at once: 14 to one worker, 6 to the other; p95 twice the
    balanced one). A worker that cannot bind it exits as uvicorn's startup failure, so the supervisor
    stops instead of starting it again and again."""
    try:
        return _tcp_socket(host, port, shared=True)
    except OSError as e:
        log.error("a worker cannot listen on %s:%d: %s", host, port, e)
        os._exit(STARTUP_FAILURE)


class OwnSocket:
    """What the supervisor hands each worker instead of a shared socket: the worker process that
    unpickles it binds a listening socket of its own, which dies with it (a shared socket kept open by
    the supervisor would hold the connections the kernel routes to a dead worker)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def __reduce__(self) -> tuple:
        return worker_socket, (self.host, self.port)


def serve_workers(config: uvicorn.Config) -> None:
    """uvicorn's supervisor (a worker that dies is replaced), each worker on its own socket. The port is
    checked here first without SO_REUSEPORT, so a port another server holds (even another sanbiao's
    workers) is refused, not shared; port 0 becomes one free port for all the workers."""
    with _tcp_socket(config.host, config.port, shared=False) as probe:
        config.port = probe.getsockname()[1]
    log.info("sanbiao serving on http://%s:%d with %d workers", config.host, config.port, config.workers)
    Multiprocess(config, sockets=[OwnSocket(config.host, config.port)]).run()  # type: ignore[list-item]


def run(settings: Settings, *, host: str, port: int) -> None:
    """Serve the API and the pages under uvicorn until stopped, in `settings.workers` processes that
    share the database; each builds its app from the settings passed on in its environment. The
    CSRF secret is made here, before them (each worker would otherwise make its own)."""
    settings.secret()
    os.environ.update(settings.to_env())
    config = uvicorn.Config(
        "ui.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=settings.workers,
        log_level="info",
        proxy_headers=settings.trusted_proxies is not None,  # behind a proxy every client has its address
        forwarded_allow_ips=settings.trusted_proxies,
    )
    if config.workers > 1:
        serve_workers(config)
    else:
        uvicorn.Server(config).run()


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Server processes sharing the database (default: $SANBIAO_WORKERS, else the number of cores). "
    "Sessions, login limits and the model work across them; one of them runs the nightly job.",
)
@click.option("--no-scheduler", is_flag=True, help="Do not run the nightly job in this server.")
@click.pass_obj
def serve(ctx: CliContext, host: str, port: int, workers: int | None, no_scheduler: bool) -> None:
    """Run the web service (API and pages).

    Example: sanbiao serve --host 0.0.0.0 --port 8000 --workers 4
    """
    settings = msgspec.structs.replace(
        ctx.settings, scheduler=ctx.settings.scheduler and not no_scheduler, workers=workers or ctx.settings.workers
    )
    ctx.db().close()  # migrated once, before the workers start
    run(settings, host=host, port=port)


@cli.command()
@click.option("--residents", default=5000, show_default=True, type=click.IntRange(1, 2_000_000))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare the demo database, print the logins and exit.")
@click.pass_obj
def demo(ctx: CliContext, residents: int, seed: int, host: str, port: int, no_serve: bool) -> None:
    """Make a synthetic county, ingest it, create demo logins (printed) and serve.

    Example: sanbiao --db data/demo.db demo --residents 20000
    """
    info = prepare_demo(
        ctx.db(), ctx.settings.db_path.parent, ctx.policy, residents=residents, seed=seed, today=ctx.settings.today()
    )
    click.echo(f"county: {info.county_file}")
    click.echo(
        "ingest: "
        + msgspec.json.encode(
            {k: v for k, v in msgspec.structs.asdict(info.ingest).items() if k != "rejected"}
        ).decode()
    )
    click.echo(f"model: {info.model}")
    click.echo(f"tiers as of {info.run.as_of}: " + ", ".join(f"{t} {n}" for t, n in info.run.tiers.items()))
    for login in info.logins:
        click.echo(
            f"login: {login.username:<12} role {login.role:<18} region {login.region:<13} password {login.password}"
        )
    click.echo(f"ingest API key (Bearer): {info.api_key}")
    if not no_serve:
        click.echo(f"serving on http://{host}:{port}/  (health: http://{host}:{port}/healthz)")
        run(ctx.settings, host=host, port=port)


def main() -> None:
    cli()
