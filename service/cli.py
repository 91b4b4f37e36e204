"""The `sanbiao` command line (CONTRACT §1): each command wraps the function the API uses too.

`ui.cli` adds the commands that serve the pages (`serve`, `demo`) and is the console script."""

from __future__ import annotations

import datetime as dt
import getpass
import logging
import re
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

import click
import msgspec
from sqlite_utils import Database

from service.assignment import reassign
from service.auth import LOGIN_ROLES, BadRegion, Role, check_region, hash_password, new_api_key
from service.figure_table import fill, nightly_periods, periods_from
from service.import_report import LANGS, report
from service.importer import BadFile, import_file
from service.ingest import IngestSummary
from service.jobs import NIGHTLY_STALE_HOURS, BadAsOf, check_as_of, job_runs, nightly_problem, run_nightly
from service.periods import FIRST_YEAR, LAST_YEAR
from service.policy_file import PolicyError, load_policy
from service.reassess import Reassessor
from service.risk import train_model
from service.settings import Settings
from service.sheet_columns import BadMapping, load_mapping
from service.sheet_files import BadSheet, is_sheet
from service.sheet_import import import_sheet
from service.staff import MIN_PASSWORD_CHARS, BadRoster, import_roster, read_roster, set_enabled
from service.store import backup as backup_db
from service.store import connect, migrate
from service.store.access import AlreadyExists, add_api_key, add_user
from service.store.areas import BadAreaRow, read_areas, save_areas
from service.store.models import active_model_version
from service.store.period_figures import forget_figures
from stratify.model import WHO_FALLBACK_VERSION, NotEnoughData
from stratify.records import USERNAME_PATTERN


class CliContext:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        try:
            self.policy = load_policy(settings.config_path)
        except PolicyError as e:
            raise click.ClickException(str(e)) from e

    def db(self) -> Database:
        """The configured database, created or migrated as needed."""
        db = connect(self.settings.db_path)
        migrate(db)
        return db


def cli_actor() -> str:
    """Who ran a command, for the audit log: the operating-system user."""
    return f"cli:{getpass.getuser()}"


def echo_json(value: object) -> None:
    click.echo(msgspec.json.format(msgspec.json.encode(value)).decode())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite database (default: $SANBIAO_DB, else ./data/sanbiao.db).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="County policy TOML (default: $SANBIAO_CONFIG, else the built-in policy).",
)
@click.version_option(package_name="sanbiao")
@click.pass_context
def cli(ctx: click.Context, db_path: Path | None, config_path: Path | None) -> None:
    """sanbiao: red/yellow/green management of hypertension and diabetes for a county."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    ctx.obj = CliContext(Settings.from_env(db_path=db_path, config_path=config_path))


@cli.command("init-db")
@click.pass_obj
def init_db(ctx: CliContext) -> None:
    """Create or migrate the database (idempotent).

    Example: sanbiao --db data/county.db init-db
    """
    db = connect(ctx.settings.db_path)
    applied = migrate(db)
    click.echo(f"{ctx.settings.db_path}: " + (f"applied {', '.join(applied)}" if applied else "up to date"))


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", help="Source recorded for NDJSON files (default: the file name).")
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML file mapping a spreadsheet's column headers to record fields (default: the BPHS headers).",
)
@click.option(
    "--assess/--no-assess",
    default=True,
    show_default=True,
    help="Re-assess and re-plan each stored resident at once; --no-assess leaves it to the nightly job "
    "(bulk loads right before it).",
)
@click.option(
    "--lang",
    type=click.Choice(LANGS),
    envvar="SANBIAO_LANG",
    default=LANGS[0],
    show_default=True,
    help="Language of the summary and the errors printed for people (stderr); stdout keeps the JSON.",
)
@click.pass_obj
def import_(
    ctx: CliContext, files: tuple[Path, ...], source: str | None, mapping: Path | None, assess: bool, lang: str
) -> None:
    """Ingest record files: a JSON document, NDJSON (*.ndjson, *.jsonl: one resident per line), or a
    county's BPHS follow-up spreadsheet (*.xlsx, *.csv in UTF-8 or GB18030: one row per visit).

    Files of any size are streamed. Prints one ingest summary for all files as JSON; a spreadsheet's
    errors name the row and the column.

    Example: sanbiao import export-2026-11.ndjson 随访表.xlsx
    """
    db = ctx.db()
    today = ctx.settings.today()
    total = IngestSummary()
    try:
        columns = load_mapping(mapping) if mapping else None
    except BadMapping as e:
        raise click.ClickException(str(e)) from e
    for path in files:
        on_stored = Reassessor(db, ctx.policy, today) if assess else None
        try:
            if is_sheet(path):
                summary = import_sheet(
                    db, path, mapping=columns, actor=cli_actor(), today=today, on_stored=on_stored, policy=ctx.policy
                )
            else:
                summary = import_file(
                    db,
                    path,
                    source=source,
                    actor=cli_actor(),
                    today=today,
                    on_stored=on_stored,
                    formulary=ctx.policy.formulary,
                )
            total.add(summary)
        except (BadFile, BadSheet) as e:
            raise click.ClickException(f"{path}: {e} (nothing of this file was stored)") from e
    echo_json(total)
    for line in report(total, lang):
        click.echo(line, err=True)


def as_of_option(command: Callable) -> Callable:
    return click.option(
        "--as-of", type=click.DateTime(["%Y-%m-%d"]), help="Date to work as of (default: today in the county)."
    )(command)


def chosen_day(ctx: CliContext, as_of: dt.datetime | None) -> dt.date:
    today = ctx.settings.today()
    try:
        return check_as_of(as_of.date() if as_of else today, today)
    except BadAsOf as e:
        raise click.ClickException(str(e)) from e


@cli.command()
@as_of_option
@click.option("--horizon-days", type=click.IntRange(30, 3650), default=None, help="Label window (default: policy).")
@click.pass_obj
def train(ctx: CliContext, as_of: dt.datetime | None, horizon_days: int | None) -> None:
    """Train and register a risk model on data before as_of; prints the model card as JSON.

    The model becomes active only if it meets the policy's minimum quality.
    Example: sanbiao train --as-of 2026-11-01
    """
    day = chosen_day(ctx, as_of)
    try:
        card = train_model(
            ctx.db(),
            ctx.policy,
            as_of=day,
            horizon_days=horizon_days or ctx.policy.model_horizon_days,
            now=dt.datetime.now(dt.UTC),
        )
    except NotEnoughData as e:
        fallback = active_model_version(ctx.db()) == WHO_FALLBACK_VERSION
        kept = "the WHO 2019 fallback is the active model" if fallback else "the previous model stays active"
        raise click.ClickException(f"{e}; {kept}") from e
    echo_json(card)


@cli.command()
@as_of_option
@click.pass_obj
def restratify(ctx: CliContext, as_of: dt.datetime | None) -> None:
    """Re-stratify every managed resident and plan follow-ups; prints the run summary as JSON.

    Example: sanbiao restratify --as-of 2026-11-01
    """
    echo_json(run_nightly(ctx.db(), ctx.policy, chosen_day(ctx, as_of), trigger="cli"))


@cli.group()
def apikey() -> None:
    """Manage API keys."""


@apikey.command("create")
@click.option("--name", required=True, help="Who or what uses the key, e.g. the exporting clinic.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--region", default=None, help="Region prefix the key may act on (default: all).")
@click.pass_obj
def apikey_create(ctx: CliContext, name: str, role: str, region: str | None) -> None:
    """Create an API key; the key is the last line of output, shown once and stored hashed.

    Example: sanbiao apikey create --name township-101 --role ingest --region 350421101
    """
    try:
        region = check_region(region) if region else ""
        key, key_hash, prefix = new_api_key()
        add_api_key(ctx.db(), name=name, key_hash=key_hash, prefix=prefix, role=role, region=region, actor=cli_actor())
    except (BadRegion, AlreadyExists) as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"API key {name!r} ({role}, region {region or 'all'}); store it now, it is not shown again:")
    click.echo(key)


@cli.group()
def user() -> None:
    """Manage logins."""


@user.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in LOGIN_ROLES]))
@click.option("--region", required=True, help="Region prefix: 6 (county), 9 (township) or 12 (village) digits.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_obj
def user_add(ctx: CliContext, username: str, role: str, region: str, password_stdin: bool) -> None:
    """Create a login.

    Example: echo "$PASSWORD" | sanbiao user add wang --role village_doctor --region 350421101201 --password-stdin
    """
    if not re.match(USERNAME_PATTERN, username):
        raise click.ClickException("username: 1-64 characters of letters, digits, '.', '_' or '-'")
    password = (
        sys.stdin.readline().rstrip("\n")
        if password_stdin
        else click.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    if len(password) < MIN_PASSWORD_CHARS:
        raise click.ClickException(f"password: at least {MIN_PASSWORD_CHARS} characters")
    try:
        db = ctx.db()
        add_user(
            db,
            username=username,
            password_hash=hash_password(password),
            role=role,
            region=check_region(region),
            actor=cli_actor(),
        )
    except (BadRegion, AlreadyExists) as e:
        raise click.ClickException(str(e)) from e
    moved = reassign(db, [region])
    click.echo(
        f"user {username} ({role}, region {region}) created; {moved} open tasks of the area passed to its doctors"
    )


def switch(ctx: CliContext, username: str, enabled: bool) -> None:
    try:
        set_enabled(ctx.db(), username, enabled, actor=cli_actor())
    except ValueError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"user {username} {'enabled' if enabled else 'disabled'}")


@user.command("disable")
@click.argument("username")
@click.pass_obj
def user_disable(ctx: CliContext, username: str) -> None:
    """Disable a login: it cannot sign in, its sessions end at once, its open tasks pass to another
    doctor of the same level and area (or to nobody); its data stay.

    Example: sanbiao user disable wang
    """
    switch(ctx, username, enabled=False)


@user.command("enable")
@click.argument("username")
@click.pass_obj
def user_enable(ctx: CliContext, username: str) -> None:
    """Enable a disabled login again; unassigned tasks of its area pass to it.

    Example: sanbiao user enable wang
    """
    switch(ctx, username, enabled=True)


@cli.group()
def users() -> None:
    """The county's staff, in bulk."""


@users.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def users_import(ctx: CliContext, path: Path) -> None:
    """Create or update logins from a CSV of `username,name,role,region,phone` rows (UTF-8 or GB18030,
    header required). Each new login gets a one-time password, printed once as `username,password`
    lines, to be changed at its first sign-in. A bad row stores nothing and names its line.

    Example: sanbiao users import staff.csv > first-passwords.csv
    """
    try:
        rows = read_roster(path)
    except BadRoster as e:
        raise click.ClickException(f"{path}: {e} (nothing was stored)") from e
    for username, password in import_roster(ctx.db(), rows, actor=cli_actor()):
        click.echo(f"{username},{password}")


@cli.group()
def areas() -> None:
    """Names of the county's townships and villages, shown on the dashboard."""


@areas.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def areas_load(ctx: CliContext, path: Path) -> None:
    """Add or rename areas from a UTF-8 CSV of `code,name` rows (6, 9 or 12-digit codes, e.g. the
    county's statistical division code list). A bad row stores nothing and names its line.

    Example: sanbiao areas load areas.csv
    """
    try:
        rows = read_areas(path)
    except BadAreaRow as e:
        raise click.ClickException(f"{path}: {e} (nothing was stored)") from e
    echo_json({"areas": save_areas(ctx.db(), rows, actor=cli_actor())})


@cli.group()
def indicators() -> None:
    """The §11 figures kept per village and period (docs/indicators.md)."""


@indicators.command("rebuild")
@click.option(
    "--since",
    "since",
    type=click.IntRange(FIRST_YEAR, LAST_YEAR),
    default=None,
    help="First year to compute (default: the nightly job's span, the last 12 months).",
)
@click.option("--region", default="", help="Only this county, township or village code.")
@click.pass_obj
def indicators_rebuild(ctx: CliContext, since: int | None, region: str) -> None:
    """Compute again every village's figures of every month, quarter and year since a year, and keep
    them (after a county changes what its figures are computed from outside sanbiao, or to fill
    the past periods its dashboard will be asked for before the first request does).

    Example: sanbiao indicators rebuild --since 2024
    """
    db, today = ctx.db(), ctx.settings.today()
    periods = nightly_periods(today) if since is None else periods_from(dt.date(since, 1, 1), today)
    forget_figures(db, region)
    done = fill(db, periods, today, ctx.policy, region)
    click.echo(f"{done['computed']} villages, {done['kept']} rows of {len(periods)} periods kept")


@cli.command()
@click.option("--last", default=5, show_default=True, type=click.IntRange(1, 1000), help="How many runs.")
@click.option(
    "--check",
    is_flag=True,
    help=f"Exit 1, naming the problem, unless the latest nightly run finished ok in the last {NIGHTLY_STALE_HOURS} "
    "hours (for monitoring).",
)
@click.pass_obj
def runs(ctx: CliContext, last: int, check: bool) -> None:
    """The latest job runs as JSON, newest first (what the dashboard's job table shows).

    Example: sanbiao runs --check || mail -s "sanbiao nightly" ops@county.example
    """
    found = job_runs(ctx.db(), last)
    echo_json(found)
    problem = nightly_problem(job_runs(ctx.db(), 100), dt.datetime.now(dt.UTC)) if check else None
    if problem:
        raise click.ClickException(problem)


@cli.command()
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def backup(ctx: CliContext, dest: Path) -> None:
    """Copy the database consistently while the service keeps writing (SQLite online backup).

    Example: sanbiao backup /backups/sanbiao-$(date +%F).db
    """
    if dest.exists():
        raise click.ClickException(f"{dest} exists; choose a new file")
    try:
        backup_db(ctx.db(), dest)
    except sqlite3.Error as e:
        raise click.ClickException(f"backup failed: {e}") from e
    click.echo(f"backed up {ctx.settings.db_path} to {dest}")
