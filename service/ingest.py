"""Ingest of village health records: validate each resident alone, store valid ones whole, in bulk."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Protocol

import msgspec
from sqlite_utils import Database

from service.problems import problem
from service.store import writing
from service.store.batches import finish_batch, start_batch
from service.store.residents import Outcome, upsert_residents
from service.validation import (
    DEFAULT_FORMULARY,
    FieldError,
    Formulary,
    Invalid,
    decode_resident,
    located,
    record_id_of,
)
from stratify.records import Batch, Resident

log = logging.getLogger(__name__)


class OnStored(Protocol):
    """What runs with each chunk an ingest stores (e.g. re-assessment): `prepare` before the write
    lock is taken (work that needs no stored rows), then the call inside the chunk's transaction."""

    def prepare(self, residents: list[Resident]) -> object: ...

    def __call__(self, residents: list[Resident], outcomes: list[Outcome], prepared: object) -> None: ...


MAX_BATCH_RESIDENTS = 5_000  # CONTRACT §4.1
MAX_BATCH_BYTES = 32 * 1024 * 1024  # CONTRACT §4.1: 32 MiB
CHUNK_RESIDENTS = 2_000  # residents per write transaction on bulk paths (files)
REQUEST_CHUNK_RESIDENTS = 100  # ... and for a request, so a visit posted meanwhile waits for 100, not 5,000
MAX_LISTED_REJECTIONS = MAX_BATCH_RESIDENTS  # beyond this only rejected_total grows


class Rejection(msgspec.Struct, omit_defaults=True):
    index: int
    record_id: str | None
    errors: list[FieldError]
    file: str | None = None


class IngestSummary(msgspec.Struct):
    """The ingest summary of CONTRACT §4.1 plus the total of rejections (the list is capped)."""

    accepted: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = msgspec.field(default_factory=list)
    rejected_total: int = 0

    def add(self, other: IngestSummary) -> None:
        """Fold another batch's counts into this one (one summary for several files)."""
        self.accepted += other.accepted
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected_total += other.rejected_total
        room = MAX_LISTED_REJECTIONS - len(self.rejected)
        self.rejected.extend(other.rejected[:room])


class Ingestor:
    """Feeds raw residents in, writes valid ones a chunk at a time into one summary.

    Each chunk is one write transaction: its residents, their re-assessment (`on_stored`) and, for
    the first chunk, the batch's `running` row; the last chunk also records the batch's counts. A
    request of one chunk (a visit, a clinic's daily upload) is therefore a single transaction.
    A record_id seen twice in a chunk flushes the chunk first, so the later copy is an update.
    """

    def __init__(
        self,
        db: Database,
        *,
        today: dt.date,
        region: str = "",
        on_stored: OnStored | None = None,
        chunk: int = CHUNK_RESIDENTS,
        formulary: Formulary = DEFAULT_FORMULARY,
    ) -> None:
        """`on_stored` gets each chunk's residents and outcomes, inside its transaction; medicines
        are checked against the county's `formulary`."""
        self.db = db
        self.formulary = formulary
        self.chunk = chunk
        self.today = today
        self.region = region
        self.on_stored = on_stored
        self.summary = IngestSummary()
        self._pending: dict[str, Resident] = {}
        self._batch: dict[str, str | None] = {}
        self._batch_id: int | None = None

    def begin(self, *, origin: str, source: str, filename: str | None, actor: str, batch_id: int | None = None) -> None:
        """Name the import batch that residents fed until `end` belong to (written with the first chunk),
        or adopt `batch_id`, a batch row already written (an upload's, made when the file arrived)."""
        self._batch = {"origin": origin, "source": source, "filename": filename, "actor": actor}
        self._batch_id = batch_id

    def feed(self, index: int, raw: bytes, file: str | None = None) -> None:
        try:
            resident = decode_resident(raw, self.today, self.formulary)
        except Invalid as e:
            self.reject(Rejection(index, record_id_of(raw), e.errors, file))
            return
        self.feed_valid(index, resident, file)

    def feed_valid(self, index: int, resident: Resident, file: str | None = None) -> None:
        """A resident already decoded and checked (`decode_resident`): stored unless outside the region."""
        if not resident.village_code.startswith(self.region):
            error = FieldError("village_code", problem("outside_region", region=self.region))
            self.reject(Rejection(index, resident.record_id, [error], file))
            return
        if resident.record_id in self._pending or len(self._pending) >= self.chunk:
            self.flush()
        self._pending[resident.record_id] = resident

    def reject(self, rejection: Rejection) -> None:
        """Count a rejected resident (listed while the list is below its cap)."""
        self.summary.rejected_total += 1
        if len(self.summary.rejected) < MAX_LISTED_REJECTIONS:
            self.summary.rejected.append(rejection)

    def _counted(self, outcomes: list[Outcome]) -> IngestSummary:
        """The summary with these stored outcomes added (kept once their transaction commits)."""
        s = msgspec.structs.replace(self.summary)
        s.accepted += len(outcomes)
        s.created += outcomes.count(Outcome.CREATED)
        s.updated += outcomes.count(Outcome.UPDATED)
        s.unchanged += outcomes.count(Outcome.UNCHANGED)
        return s

    def _write(self, *, finish: bool, error: str | None = None) -> None:
        """One write transaction: the batch row if it is not stored yet, the pending chunk with its
        re-assessment, and when finishing the batch's counts. What the hook can do without stored
        rows (assessing residents not stored yet) is done before the write lock is taken."""
        residents = list(self._pending.values())
        self._pending.clear()
        ahead = self.on_stored.prepare(residents) if self.on_stored and residents else None
        made = self._batch_id is None
        try:
            with writing(self.db):
                if made:
                    self._batch_id = start_batch(self.db, **self._batch)
                outcomes = []
                if residents:
                    outcomes = upsert_residents(
                        self.db, residents, source=self._batch["source"] or "", batch_id=self._batch_id
                    )
                    if self.on_stored:
                        self.on_stored(residents, outcomes, ahead)
                summary = self._counted(outcomes)
                if finish:
                    finish_batch(self.db, self._batch_id, summary, error=error)
        except BaseException:
            if made:  # rolled back with the transaction
                self._batch_id = None
            raise
        self.summary = summary

    def flush(self) -> None:
        """Write the pending chunk (and re-assess it) in one transaction."""
        if self._pending:
            self._write(finish=False)

    def end(self, error: str | None = None) -> IngestSummary:
        """Write what is pending (unless failing) and record the batch's counts, in one transaction.

        A failure of that last write is recorded as the batch's error, then raised."""
        if error is not None:
            self._pending.clear()
        try:
            self._write(finish=True, error=error)
        except Exception as e:
            if error is not None:
                raise
            error = f"{type(e).__name__}: {e}"
            self._write(finish=True, error=error)
            raise
        finally:
            log.info(
                "ingest batch %s: accepted=%d rejected=%d%s",
                self._batch_id,
                self.summary.accepted,
                self.summary.rejected_total,
                f" error={error}" if error else "",
            )
        return self.summary

    def run(self, raws: Iterable[bytes], *, file: str | None = None) -> None:
        for index, raw in enumerate(raws):
            self.feed(index, raw, file)


class BadDocument(Exception):
    """The document as a whole is unusable (malformed JSON, wrong top-level shape): nothing stored."""

    def __init__(self, error: FieldError) -> None:
        super().__init__(f"{error.field}: {error.message}")
        self.error = error


class TooLarge(Exception):
    """More residents in one request than CONTRACT §4.1 allows."""


_batch_decoder = msgspec.json.Decoder(type=Batch)


def ingest_document(
    db: Database,
    body: bytes,
    *,
    actor: str,
    region: str,
    today: dt.date,
    on_stored: OnStored | None = None,
    formulary: Formulary = DEFAULT_FORMULARY,
) -> IngestSummary:
    """The POST /api/v1/records path: one JSON document, at most MAX_BATCH_RESIDENTS residents."""
    try:
        batch = _batch_decoder.decode(body)
    except msgspec.ValidationError as e:
        raise BadDocument(located(e)) from None
    except msgspec.DecodeError as e:
        raise BadDocument(FieldError("(document)", problem("malformed_json", detail=e))) from None
    if len(batch.residents) > MAX_BATCH_RESIDENTS:
        raise TooLarge(f"{len(batch.residents)} residents in one request; the limit is {MAX_BATCH_RESIDENTS}")
    ingestor = Ingestor(
        db, today=today, region=region, on_stored=on_stored, chunk=REQUEST_CHUNK_RESIDENTS, formulary=formulary
    )
    ingestor.begin(origin="api", source=batch.source, filename=None, actor=actor)
    try:
        ingestor.run(batch.residents)
    except Exception as e:
        ingestor.end(error=type(e).__name__)
        raise
    return ingestor.end()
