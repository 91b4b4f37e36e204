"""`sanbiao import` (and the upload page) of a county's spreadsheet: one import batch per file.

The file's residents are built in this process (service/sheets.py), or, for a file of a megabyte
or more, by a second process while this one validates and stores them (service/sheet_aside.py).
Either way every resident goes through the one path every import takes (CONTRACT §3) and is
stored or rejected whole, its errors located by row and column.
"""

from __future__ import annotations

import datetime as dt
from contextlib import closing
from pathlib import Path

from sqlite_utils import Database

from service.ingest import Ingestor, IngestSummary, OnStored, Rejection
from service.sheet_aside import residents_of
from service.sheet_columns import Mapping, built_in
from service.sheet_files import BadSheet
from service.sheets import Built, Headers, Progress, drug_names, located
from service.validation import Formulary, Invalid, decode_resident
from stratify.policy import Policy


def import_sheet(
    db: Database,
    path: Path,
    *,
    mapping: Mapping | None = None,
    actor: str,
    today: dt.date,
    on_stored: OnStored | None = None,
    region: str = "",
    batch_id: int | None = None,
    progress: Progress | None = None,
    name: str | None = None,
    policy: Policy | None = None,
) -> IngestSummary:
    """Ingest one spreadsheet as its own import batch (or as `batch_id`, an upload's batch row);
    BadSheet (nothing stored) for a file that cannot be read or has a header the mapping does not
    know. `name` is the file's name as its owner knows it (an upload is stored under another)."""
    name = name or path.name
    formulary = (policy or Policy()).formulary
    names = drug_names(formulary)
    mapping = mapping or built_in()
    headers: Headers = {}
    residents = residents_of(path, mapping, names, headers, progress)
    ingestor = Ingestor(db, today=today, region=region, on_stored=on_stored, formulary=formulary)
    # a batch made here is the command line's; an upload's (`batch_id`) was made, origin 'ui', on arrival
    ingestor.begin(origin="cli", source=name[:100], filename=name, actor=actor, batch_id=batch_id)
    try:
        with closing(residents):  # a second process reading the file stops with the import
            for index, built in enumerate(residents):
                feed(ingestor, index, built, headers, name, today, formulary)
    except BadSheet:
        raise  # before any resident: the file was refused whole, no batch to record
    except Exception as e:
        ingestor.end(error=f"{type(e).__name__}: {e}")
        raise
    return ingestor.end()


def feed(
    ingestor: Ingestor, index: int, built: Built, headers: Headers, file: str, today: dt.date, formulary: Formulary
) -> None:
    """Store the resident, or reject it whole with every error located (cells first, then §3 rules)."""
    errors = built.errors
    if not errors:
        try:
            resident = decode_resident(built.document, today, formulary)
        except Invalid as e:
            errors = e.errors
        else:
            ingestor.feed_valid(index, resident, file)
            return
    ingestor.reject(Rejection(index, built.record_id, [located(e, built, headers) for e in errors], file))
