"""What a read or an action can refuse; the app factory maps each to its status code once."""

from __future__ import annotations


class ResidentNotFound(Exception):
    """No resident with that record_id (404)."""


class TaskNotFound(Exception):
    """No task with that id (404)."""


class OutsideRegion(Exception):
    """The resident, task or region lies outside the caller's region (403)."""


class NotAllowed(Exception):
    """The caller's role may not do this (403)."""


class TaskClosed(Exception):
    """A call outcome for a task that is no longer open (409)."""


class AlreadyStored(Exception):
    """An id a phone made (a queued visit or call outcome sent again) already stored with other content (409)."""


class BadReminder(ValueError):
    """A reminder date that is not after today (400)."""


def require_region(region: str, village_code: str, what: str) -> None:
    """OutsideRegion unless the village lies in the caller's region prefix."""
    if not village_code.startswith(region):
        raise OutsideRegion(f"{what} is outside your region")
