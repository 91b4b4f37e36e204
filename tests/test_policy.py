"""County policy files: documented keys, overrides of the defaults, and located errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.policy_file import PolicyError, load_policy
from stratify.policy import Policy

DOC = (Path(__file__).parent.parent / "docs" / "policy.md").read_text()


@pytest.mark.parametrize("field", Policy.__struct_fields__)
def test_every_policy_field_is_documented_with_its_default(field):
    assert re.search(rf"^\| `{field}` \| `[^`]+` \| \S", DOC, re.MULTILINE)


def test_the_documented_example_loads(tmp_path):
    example = re.search(r"```toml\n(.*?)```", DOC, re.DOTALL).group(1)
    path = tmp_path / "county.toml"
    path.write_text(example)

    policy = load_policy(path)

    assert policy.bp_crisis == (170, 105)
    assert policy.both_uncontrolled_red is False
    assert policy.fpg_high == Policy().fpg_high  # keys left out keep their defaults


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("bp_crisis = [170]", "bp_crisis", id="wrong-length"),
        pytest.param("bp_crsis = [170, 105]", "unknown field `bp_crsis`", id="misspelt-key"),
        pytest.param("overdue_days = 0", "overdue_days", id="zero-days"),
        pytest.param("model_red_share = 0.5\nmodel_yellow_share = 0.6", "below 1", id="shares-over-one"),
        pytest.param("bp_crisis = [170, ", "", id="not-toml"),
    ],
)
def test_a_bad_policy_file_names_the_file_and_the_problem(tmp_path, text, message):
    path = tmp_path / "county.toml"
    path.write_text(text)

    with pytest.raises(PolicyError) as error:
        load_policy(path)

    assert str(path) in str(error.value) and message in str(error.value)


def test_no_file_means_the_built_in_defaults():
    assert load_policy(None) == Policy()
