"""The error responses each API operation documents in OpenAPI (one body shape, from service.app._error)."""

from __future__ import annotations

import msgspec
from litestar.openapi.datastructures import ResponseSpec


class FieldError(msgspec.Struct):
    field: str
    message: str


class ParameterError(msgspec.Struct):
    key: str
    message: str
    source: str | msgspec.UnsetType = msgspec.UNSET


class ErrorBody(msgspec.Struct):
    """Every API error: the status again and a sentence; a bad document names its field (`errors`),
    a bad parameter or body names its key and where it came from (`extra`)."""

    status_code: int
    detail: str
    errors: list[FieldError] | msgspec.UnsetType = msgspec.UNSET
    extra: list[ParameterError] | msgspec.UnsetType = msgspec.UNSET


MEANING = {
    400: "Bad request: a parameter or body that does not fit, with the field named",
    401: "No credentials, or an unknown or revoked API key",
    403: "The caller's role or region does not reach this",
    404: "No such resident or task",
    409: "The task is already closed",
    413: "The batch is over 5,000 residents or 32 MiB",
    422: "Too few serious events to train on; the previous model stays active",
    503: "The database is busy or unavailable; try again",
}


def errors(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI responses for these statuses, plus 401, 403 and 503 that any API call may answer."""
    return {
        code: ResponseSpec(ErrorBody, description=MEANING[code], generate_examples=False)
        for code in sorted({401, 403, 503, *codes})
    }
