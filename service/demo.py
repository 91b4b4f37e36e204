"""`sanbiao demo`: a synthetic county, ingested, with a login for every role, ready to serve."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec
from sqlite_utils import Database

from fixtures.bphs import write_events, write_sheet
from fixtures.county import COUNTY, area_names, doctor_for, generate, village_codes, village_populations
from service.auth import Role, hash_password, new_api_key
from service.importer import import_file
from service.ingest import IngestSummary
from service.jobs import RunSummary, run_nightly
from service.risk import train_model
from service.sheet_import import import_sheet
from service.store.access import add_api_key, add_user, user_exists
from service.store.areas import save_areas
from stratify.model import NotEnoughData
from stratify.policy import Policy

DEMO_PASSWORD = "sanbiao-demo"  # demo databases only; printed on start


class DemoLogin(msgspec.Struct):
    username: str
    role: str
    region: str
    password: str


class DemoInfo(msgspec.Struct):
    county_file: str
    ingest: IngestSummary
    model: str
    run: RunSummary
    logins: list[DemoLogin]
    api_key: str


def demo_logins() -> list[DemoLogin]:
    """One login per role: the first village's doctor, its township's GP, and county-wide staff."""
    village = village_codes()[0]
    return [
        DemoLogin(doctor_for(village), Role.VILLAGE_DOCTOR, village, DEMO_PASSWORD),
        DemoLogin("gp" + village[6:9], Role.TOWNSHIP_GP, village[:9], DEMO_PASSWORD),
        DemoLogin("specialist", Role.COUNTY_SPECIALIST, COUNTY, DEMO_PASSWORD),
        DemoLogin("center", Role.CENTER, COUNTY, DEMO_PASSWORD),
        DemoLogin("admin", Role.ADMIN, COUNTY, DEMO_PASSWORD),
    ]


def prepare_demo(
    db: Database, data_dir: Path, policy: Policy, *, residents: int, seed: int, today: dt.date
) -> DemoInfo:
    """Generate the county as of today, as a county keeps it (a BPHS follow-up workbook, and the hospital's
    discharge records of serious events beside it), import both, train, stratify, create demo logins
    and an ingest key."""
    data_dir.mkdir(parents=True, exist_ok=True)
    county_file = write_sheet(generate(residents, seed, today), data_dir / f"demo-county-{residents}-{seed}.xlsx")
    events = write_events(generate(residents, seed, today), data_dir / f"demo-events-{residents}-{seed}.ndjson")
    summary = import_sheet(db, county_file, actor="demo", today=today)  # the county's follow-up sheet, as any county's
    import_file(db, events, source="county hospital discharges", actor="demo", today=today)
    try:
        card = train_model(db, policy, as_of=today, horizon_days=policy.model_horizon_days, now=dt.datetime.now(dt.UTC))
        model = f"{card.version}: AUC {card.auc:.2f}, " + (
            "active" if card.active else f"inactive ({card.why_inactive})"
        )
    except NotEnoughData as e:
        model = f"none ({e})"
    save_areas(db, area_names(village_populations(generate(residents, seed, today), seed)), actor="demo")
    run = run_nightly(db, policy, today, trigger="demo")
    logins = demo_logins()
    for login in logins:
        if not user_exists(db, login.username):
            add_user(
                db,
                username=login.username,
                password_hash=hash_password(login.password),
                role=login.role,
                region=login.region,
                actor="demo",
            )
    key, key_hash, prefix = new_api_key()
    add_api_key(
        db,
        name=f"demo ingest {prefix}",
        key_hash=key_hash,
        prefix=prefix,
        role=Role.INGEST,
        region=COUNTY,
        actor="demo",
    )
    return DemoInfo(str(county_file), summary, model, run, logins, key)
