"""POST /api/v1/records: ingest a record document (CONTRACT §4.1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import msgspec
from litestar import Request, post
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody
from litestar.status_codes import HTTP_200_OK
from sqlite_utils import Database

from service.api.errors import errors
from service.auth import RECORD_WRITERS, Principal, allow
from service.ingest import MAX_BATCH_BYTES, IngestSummary, ingest_document
from service.reassess import Reassessor
from stratify.records import Resident


class RecordDocument(msgspec.Struct):
    """The record format as documented; the handler decodes residents one by one instead."""

    source: str
    residents: list[Resident]


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """Replace msgspec's `$ref`s with their definitions (the document has no recursion)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline(defs[schema["$ref"].rsplit("/", 1)[1]], defs)
        return {k: _inline(v, defs) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


def _record_document_schema() -> dict[str, Any]:
    (schema,), defs = msgspec.json.schema_components([RecordDocument])
    return _inline(schema, defs)


@dataclass
class RecordsOperation(Operation):
    """The OpenAPI operation with the record format as its request body."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={"application/json": OpenAPIMediaType(schema=_record_document_schema())},  # type: ignore[arg-type]
            required=True,
            description="A record document (CONTRACT §3): at most 5,000 residents or 32 MiB.",
        )


@post(
    "/api/v1/records",
    guards=[allow(*RECORD_WRITERS)],
    request_max_body_size=MAX_BATCH_BYTES,
    operation_class=RecordsOperation,
    status_code=HTTP_200_OK,
    tags=["records"],
    responses=errors(400, 413),
)
async def post_records(request: Request[Principal, Any, Any], db: NamedDependency[Database]) -> IngestSummary:
    """Store the valid residents whole, report each rejected one with located errors."""
    body = await request.body()
    user: Principal = request.user
    state = request.app.state
    today = state.settings.today()

    def store() -> IngestSummary:
        return ingest_document(
            db,
            body,
            actor=user.name,
            region=user.region,
            today=today,
            on_stored=Reassessor(db, state.policy, today),
            formulary=state.policy.formulary,
        )

    return await anyio.to_thread.run_sync(store)
