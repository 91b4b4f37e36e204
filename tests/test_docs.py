"""The README documents every CLI command, setting and API route; its example file is valid."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from conftest import RESIDENT

from service.settings import Settings
from ui.app import create_app
from ui.cli import cli

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def commands(group: click.Group, prefix: str = "sanbiao") -> list[str]:
    names = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            names += commands(command, f"{prefix} {name}")
        else:
            names.append(f"{prefix} {name}")
    return names


@pytest.mark.parametrize("command", commands(cli))
def test_every_cli_command_is_in_the_readme(command):
    assert f"`{command}" in README


@pytest.mark.parametrize("field", Settings.__struct_fields__)
def test_every_setting_is_in_the_readme(field):
    assert f"`{field}`" in README


def test_every_api_route_is_in_the_readme(tmp_path):
    app = create_app(Settings(db_path=tmp_path / "d.db"))
    paths = {re.sub(r":\w+}", "}", route.path) for route in app.routes if not route.path.startswith("/schema")}

    for path in paths:
        assert re.search(rf"`(GET|POST) {re.escape(path)}`", README), path


def test_example_file_is_the_contract_example():
    example = json.loads((ROOT / "fixtures" / "example.json").read_text())

    assert example["residents"] == [RESIDENT]


def test_make_targets_in_the_readme_exist():
    makefile = (ROOT / "Makefile").read_text()

    for target in re.findall(r"^make (\w+)", README, re.MULTILINE):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target
    assert "make test" in (ROOT / ".ci" / "run").read_text()
