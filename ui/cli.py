"""The `sanbiao` console script: the service's commands (`service.cli`) and those that serve the
pages too, `serve` and `demo`."""

from __future__ import annotations

import os
import socket

import click
import msgspec
import uvicorn
from uvicorn.supervisors import Multiprocess

from service.cli import CliContext, cli
from service.demo import prepare_demo
from service.settings import Settings


class WorkersConfig(uvicorn.Config):
    """uvicorn's configuration, with the workers' shared listening socket marked as TCP: its accepted
    connections inherit the mark, and asyncio turns Nagle's algorithm off only for those (uvicorn issue
    #3149; measured here: a keep-alive request took 48 ms with two workers, 5 ms with one)."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            sock.set_inheritable(True)
        return sock


def run(settings: Settings, *, host: str, port: int) -> None:
    """Serve the API and the pages under uvicorn until stopped, in `settings.workers` processes that
    share the database; each builds its app from the settings passed on in its environment. The
    CSRF secret is made here, before them (each worker would otherwise make its own)."""
    settings.secret()
    os.environ.update(settings.to_env())
    config = WorkersConfig(
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
        Multiprocess(config, sockets=[config.bind_socket()]).run()  # restarts a worker that dies
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
