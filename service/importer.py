"""`sanbiao import`: stream record files of any size (JSON documents or NDJSON) through ingest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import ijson
import msgspec
from sqlite_utils import Database

from service.ingest import Ingestor, IngestSummary, OnStored
from service.validation import DEFAULT_FORMULARY, Formulary

NDJSON_SUFFIXES = (".ndjson", ".jsonl")
DOCUMENT_KEYS = frozenset({"source", "residents"})
SOURCE_MAX_CHARS = 100  # CONTRACT §3


class BadFile(Exception):
    """A file that cannot be imported at all; nothing of it was stored."""


def is_ndjson(path: Path) -> bool:
    return path.suffix.lower() in NDJSON_SUFFIXES


def ndjson_residents(path: Path) -> Iterator[bytes]:
    """One raw resident per non-blank line."""
    with path.open("rb") as f:
        for line in f:
            if line.strip():
                yield line


def document_source(path: Path) -> str:
    """Check a JSON document's syntax and top-level shape in one streaming pass; return its source.

    Runs before anything is stored, so a malformed document stores nothing, as on the API.
    """
    source: str | None = None
    has_residents = False
    try:
        with path.open("rb") as f:
            for prefix, event, value in ijson.parse(f):
                if prefix == "" and event == "map_key" and value not in DOCUMENT_KEYS:
                    raise BadFile(f"{value}: unknown field")
                if prefix == "source" and event == "string":
                    source = value
                elif prefix == "residents" and event == "start_array":
                    has_residents = True
                elif prefix == "" and event not in ("start_map", "map_key", "end_map"):
                    raise BadFile("(document): expected an object with 'source' and 'residents'")
    except ijson.JSONError as e:
        raise BadFile(f"(document): malformed JSON: {' '.join(str(e).split())}") from None
    if not has_residents:
        raise BadFile("residents: required array is missing")
    if source is None or not 1 <= len(source) <= SOURCE_MAX_CHARS:
        raise BadFile(f"source: required, 1-{SOURCE_MAX_CHARS} characters")
    return source


def document_residents(path: Path) -> Iterator[bytes]:
    """Each element of `residents`, re-encoded as JSON bytes for the one validation path."""
    with path.open("rb") as f:
        for resident in ijson.items(f, "residents.item", use_float=True):
            yield msgspec.json.encode(resident)


def import_file(
    db: Database,
    path: Path,
    *,
    source: str | None,
    actor: str,
    today: dt.date,
    on_stored: OnStored | None = None,
    formulary: Formulary = DEFAULT_FORMULARY,
) -> IngestSummary:
    """Ingest one file as its own import batch; returns that file's summary."""
    if is_ndjson(path):
        raws, batch_source = ndjson_residents(path), source or path.name
    else:
        raws, batch_source = document_residents(path), document_source(path)
    ingestor = Ingestor(db, today=today, on_stored=on_stored, formulary=formulary)
    ingestor.begin(origin="cli", source=batch_source[:SOURCE_MAX_CHARS], filename=str(path), actor=actor)
    try:
        ingestor.run(raws, file=path.name)
    except Exception as e:
        ingestor.end(error=f"{type(e).__name__}: {e}")
        raise
    return ingestor.end()
