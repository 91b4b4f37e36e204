"""The county model against the synthetic county's own truth (issue #16).

Usage: .venv/bin/python bench/model.py [--residents 3000 20000] [--seeds 1 2 3] [--history-years 5]
For each size and seed: a county generated up to END with `--history-years` of visits, so a year of
outcomes follows the training day T = END - 365; ingested into a fresh SQLite file and trained as
`sanbiao train --as-of T` does (service.risk.train_model). Printed, one line each:
- the card's temporal validation (trained before T - 365, judged on T - 365 .. T): AUC and
  observed/expected, next to the AUC of the fixture's true risk on the same residents and year
  (the generator's yearly hazard in force on T - 365: the best any model could rank them);
- the served model on the year after T (events the training never saw): AUC, observed/expected, and
  the true risk's AUC on the same residents; the WHO 2019 12-month risk's AUC for comparison.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import msgspec  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from fixtures.county import generate  # noqa: E402
from service.importer import import_file  # noqa: E402
from service.risk import train_model  # noqa: E402
from service.store import connect, migrate  # noqa: E402
from service.store.models import model_artifact  # noqa: E402
from stratify.features import FEATURES, Examples, window_examples  # noqa: E402
from stratify.model import NotEnoughData, RiskModel  # noqa: E402
from stratify.policy import Policy  # noqa: E402
from stratify.records import Resident, is_managed  # noqa: E402

END = dt.date(2026, 11, 1)  # the last day generated
YEAR = dt.timedelta(days=365)
T = END - YEAR  # the training day: a year of outcomes after it


def truth_on(residents: int, seed: int, history_years: int, day: dt.date) -> dict[str, float]:
    """The generator's true yearly hazard of each managed resident on `day` (same seed, same county)."""
    truths: dict[str, float] = {}
    for _ in generate(residents, seed, END, history_years=history_years, truths=truths, truth_on=day):
        pass
    return truths


def true_auc(window: Examples, ids: list[str], truths: dict[str, float]) -> str:
    """The size of a window and the AUC of the fixture's true risk on it."""
    true = np.array([truths[ids[g]] for g in window.groups])
    return f"n={len(window.y)} events={int(window.y.sum())} | true-risk AUC {roc_auc_score(window.y, true):.3f}"


def run(residents: int, seed: int, history_years: int, folder: Path) -> None:
    started = time.perf_counter()
    source = folder / f"county-{residents}-{seed}.ndjson"
    encoder = msgspec.json.Encoder()
    with source.open("wb") as f:
        for record in generate(residents, seed, END, history_years=history_years):
            f.write(encoder.encode(record) + b"\n")
    db = connect(folder / f"county-{residents}-{seed}.db")
    migrate(db)
    import_file(db, source, source=None, actor="bench", today=END)
    policy = Policy()
    with source.open("rb") as f:
        everyone = [msgspec.json.decode(line, type=Resident) for line in f]
    managed = [r for r in everyone if is_managed([c.code for c in r.conditions])]
    ids = [r.record_id for r in managed]
    after = window_examples(managed, T, 365, policy)
    try:
        card = train_model(db, policy, as_of=T, horizon_days=365, now=dt.datetime(2025, 11, 2, tzinfo=dt.UTC))
    except NotEnoughData as e:
        print(f"residents {residents} seed {seed}: managed {len(managed)}, no model (422: {e}): WHO fallback served")
        who_line(after)
        db.close()
        return
    model = RiskModel.loads(model_artifact(db, card.version)[1], card)  # the model just trained, active or not
    db.close()
    temporal = card.temporal
    print(
        f"residents {residents} seed {seed}: managed {len(managed)}, {card.n_events} events in {card.n_train} "
        f"examples, {card.algorithm}, active {card.active} ({card.why_inactive or 'ok'}), "
        f"out-of-fold AUC {card.auc:.3f}, trained in {time.perf_counter() - started:.0f} s"
    )
    shift = card.intercept_shift
    print(
        f"  calibration-in-the-large on {shift.window_start}..{shift.window_end}: mean predicted "
        f"{shift.mean_predicted:.4f} before the shift vs observed {shift.observed_rate:.4f}, "
        f"logit shift {shift.shift:+.3f}"
    )
    if temporal:
        last_year = window_examples(managed, T - YEAR, 365, policy)
        true = truth_on(residents, seed, history_years, T - YEAR)
        served = f"card AUC {temporal.auc:.3f} O/E {temporal.observed_expected:.2f}"
        print(f"  temporal validation {T - YEAR}..{T}: {served}; {true_auc(last_year, ids, true)}")
    else:
        print("  temporal validation: none (too few events before T - 365)")
    true = truth_on(residents, seed, history_years, T)
    risk = model.risk(after.x)
    served = f"AUC {roc_auc_score(after.y, risk):.3f} O/E {after.y.sum() / risk.sum():.2f}"
    print(f"  served model on {T}..{END}: {served}; {true_auc(after, ids, true)}")
    who_line(after)


def who_line(after: Examples) -> None:
    """The WHO fallback's 12-month risk on the year after T, on the residents the charts cover."""
    who = after.x[:, FEATURES.index("who_risk_12m")]
    known = ~np.isnan(who)
    print(
        f"  WHO 2019 12-month risk on {T}..{END} (the {known.mean():.0%} it covers): "
        f"AUC {roc_auc_score(after.y[known], who[known]):.3f} O/E {after.y[known].sum() / who[known].sum():.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, nargs="+", default=[3000, 20000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--history-years", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for residents in args.residents:
            for seed in args.seeds:
                run(residents, seed, args.history_years, Path(folder))


if __name__ == "__main__":
    main()
