"""Each vocabulary has one source: tier order, tier names, outcomes and form choices are never retyped."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from service.store import tier_order
from stratify.tiers import URGENT_FIRST, Tier, list_position
from stratify.wording import NAMES
from ui.i18n import MESSAGES

ROOT = Path(__file__).parent.parent
SOURCES = [p for package in ("service", "stratify", "followup", "ui") for p in (ROOT / package).rglob("*.py")]
TEMPLATES = list((ROOT / "ui" / "templates").rglob("*.html"))


def test_lists_put_red_first_and_untiered_last():
    assert sorted([*Tier, None], key=list_position) == [Tier.RED, Tier.YELLOW, Tier.GREEN, None]
    assert list(URGENT_FIRST) == [Tier.RED, Tier.YELLOW, Tier.GREEN]


def test_sql_sorts_tiers_as_python_does():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (tier TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [("green",), (None,), ("red",), ("yellow",)])

    assert [row[0] for row in conn.execute(f"SELECT tier FROM t ORDER BY {tier_order('tier')}")] == [
        "red",
        "yellow",
        "green",
        None,
    ]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_retypes_the_tier_order(path):
    text = path.read_text()

    assert not re.search(r"Tier\.\w+: \d", text)
    assert not re.search(r"WHEN 'red' THEN", text)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_take_choices_from_the_vocabulary(path):
    text = path.read_text()

    assert not re.search(r'\(\s*"red",\s*"yellow",\s*"green"\s*\)', text)
    assert not re.search(r'"visited",\s*"agreed_to_visit"', text)
    assert not re.search(r'\(\s*"regular",\s*"intermittent",\s*"none"\s*\)', text)
    assert not re.search(r'\(\s*"none",\s*"mild",\s*"severe"\s*\)', text)


@pytest.mark.parametrize("tier", list(Tier))
def test_tier_names_on_pages_are_the_wording_catalogs(tier):
    for lang, name in NAMES["tiers"][tier].items():
        assert MESSAGES[tier][lang].lower() == name.lower()
    assert NAMES["tiers"][tier]["zh-CN"] not in (ROOT / "ui" / "i18n.py").read_text()  # not typed twice
