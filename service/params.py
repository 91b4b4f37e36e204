"""Path parameters shared by the API and the pages."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter

# A task_id is an SQLite INTEGER primary key: a path value outside this range cannot name a task (400).
TaskId = Annotated[int, PathParameter(ge=1, le=2**63 - 1)]
