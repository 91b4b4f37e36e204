"""The import arrows point one way (ui -> service -> followup -> stratify), and the core does no I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def calls_open(path: Path) -> list[int]:
    """Lines calling open(), or .open() / .read_text() / .write_text() / .read_bytes() / .write_bytes()."""
    io = {"open", "read_text", "write_text", "read_bytes", "write_bytes"}
    return [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "open")
            or (isinstance(node.func, ast.Attribute) and node.func.attr in io)
        )
    ]


def reaches(names: set[str], forbidden: tuple[str, ...]) -> set[str]:
    return {n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden)}


CORE = [*modules("stratify"), *modules("followup")]


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_imports_nothing_of_the_shell_and_no_io(path):
    assert reaches(imported(path), ("service", "ui", "sqlite3", "sqlite_utils", "litestar", "apscheduler")) == set()
    assert calls_open(path) == []


@pytest.mark.parametrize("path", modules("stratify"), ids=lambda p: str(p.relative_to(ROOT)))
def test_stratify_imports_nothing_of_followup(path):
    assert reaches(imported(path), ("followup",)) == set()


@pytest.mark.parametrize("path", modules("ui"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_pages_read_through_the_service_only(path):
    assert reaches(imported(path), ("service.store", "service.api", "stratify", "followup")) == set()


@pytest.mark.parametrize("path", modules("service"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_service_never_imports_the_pages(path):
    assert reaches(imported(path), ("ui",)) == set()


def test_the_walk_sees_every_package():
    assert len(CORE) > 10 and len(modules("ui")) > 5 and len(modules("service")) > 20
