"""The county's policy TOML, read at start-up by the service and the CLI (the core reads no files)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import msgspec

from stratify.policy import Policy, policy_from


class PolicyError(Exception):
    """A county policy file that cannot be used (path, key and message)."""


def load_policy(path: Path | None) -> Policy:
    """The built-in policy, or the county's TOML file over it (unknown keys are errors)."""
    if path is None:
        return Policy()
    try:
        with path.open("rb") as f:
            return policy_from(tomllib.load(f))
    except (OSError, tomllib.TOMLDecodeError, msgspec.ValidationError) as e:
        raise PolicyError(f"{path}: {e}") from None
