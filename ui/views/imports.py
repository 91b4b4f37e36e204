"""GET/POST /import: the center uploads a county's spreadsheet (CONTRACT §8) and follows it: the rows
read so far while it runs (htmx polls the batch), then the summary, the rejected residents with each
error worded in the page's language, and their rows as a workbook to fix and upload again. Past
batches are listed under the form."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import anyio.to_thread
import msgspec
from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import File, Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from sqlite_utils import Database

from service.problems import parse, word
from service.sheet_columns import BadMapping
from service.sheet_files import BadSheet
from service.uploads import (
    MAX_UPLOAD_BYTES,
    batch_for,
    chosen_mapping,
    past_batches,
    rejected_workbook,
    rejections,
    require_importer,
    saved_mappings,
    start_upload,
)
from ui.pages import language, page

IMPORT_PAGE = "/import"
PAST_BATCHES = 20


class UploadForm(msgspec.Struct):
    data: UploadFile
    saved: str = ""  # a saved mapping's name ("" = the built-in BPHS headers)
    mapping: str = ""  # a new mapping's TOML text
    mapping_name: str = ""  # save the new mapping under this name


def worded(message: str | None, lang: str) -> str:
    """A batch's error in the page's language (a refused sheet's reason may start with its sheet's name)."""
    if not message:
        return ""
    where, _, rest = message.rpartition(": ")
    if where and parse(rest):
        return f"{where}: {word('', rest, lang)}"
    return word("", message, lang)


def imports_page(request: Request, db: Database, *, status_code: int = 200, **context: object) -> Template:
    return page(
        request,
        "imports.html",
        status_code=status_code,
        batches=past_batches(db, request.user, PAST_BATCHES),
        mappings=saved_mappings(db, request.user),
        **context,
    )


@get(IMPORT_PAGE, include_in_schema=False)
async def import_form(request: Request, db: NamedDependency[Database]) -> Template:
    """The upload form and the past batches. Async on purpose: a `sync_to_thread` GET that shares its
    path with a POST is wrapped twice by Litestar 2.25 (see ui.views.staff)."""
    require_importer(request.user)
    return await anyio.to_thread.run_sync(lambda: imports_page(request, db, form={}))


@post(IMPORT_PAGE, include_in_schema=False, request_max_body_size=MAX_UPLOAD_BYTES)
async def upload(
    request: Request,
    db: NamedDependency[Database],
    data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Template | Redirect:
    """Start importing the file and follow it on its batch page; the form again with the reason when
    the file or the mapping cannot be used."""
    require_importer(request.user)
    state = request.app.state
    lang = language(request)
    form = {"saved": data.saved, "mapping": data.mapping, "mapping_name": data.mapping_name}

    def start() -> Template | Redirect:
        try:
            mapping = chosen_mapping(db, request.user, saved=data.saved, name=data.mapping_name, text=data.mapping)
            batch_id = start_upload(
                db,
                state.settings,
                state.policy,
                request.user,
                filename=data.data.filename or "upload",
                data=data.data.file,
                mapping=mapping,
            )
        except (BadSheet, BadMapping) as e:
            return imports_page(request, db, status_code=422, form=form, error=worded(str(e), lang))
        return Redirect(f"{IMPORT_PAGE}/{batch_id}", status_code=HTTP_303_SEE_OTHER)

    return await anyio.to_thread.run_sync(start)


def _batch(db: Database, request: Request, batch_id: int) -> tuple:
    found = batch_for(db, request.user, batch_id)
    if found is None:
        raise NotFoundException(f"no import batch {batch_id}")
    return found


@get(f"{IMPORT_PAGE}/{{batch_id:int}}", sync_to_thread=True, include_in_schema=False)
def batch_page(request: HTMXRequest, db: NamedDependency[Database], batch_id: FromPath[int]) -> Template:
    """A batch: the rows read while it runs (the part htmx polls), then its summary and rejections."""
    batch = _batch(db, request, batch_id)
    lang = language(request)
    context = {
        "batch": batch,
        "rejected": rejections(batch),
        "error": worded(batch[15], lang),
        "say": lambda field, message: word(field, message, lang),
    }
    return page(request, "import_batch/_status.html" if request.htmx else "import_batch.html", **context)


@get(f"{IMPORT_PAGE}/{{batch_id:int}}/rejected.xlsx", sync_to_thread=True, include_in_schema=False)
def rejected_rows(request: Request, db: NamedDependency[Database], batch_id: FromPath[int]) -> File:
    """The rejected residents' rows with an error column, to fix and upload again; audited as an export."""
    batch = _batch(db, request, batch_id)
    state = request.app.state
    out = Path(tempfile.mkdtemp(prefix="sanbiao-rejected-")) / f"rejected-{batch_id}.xlsx"
    if not rejected_workbook(db, state.settings, request.user, batch, out, language(request)):
        raise NotFoundException(f"import batch {batch_id} has no rejected rows to download")
    return File(out, filename=out.name, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
