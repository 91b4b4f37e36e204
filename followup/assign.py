"""Who does a task (CONTRACT §9): an active doctor of the task's owner level whose region covers the
resident's village; for a village-level task the resident's family doctor when that login is such a
doctor, else the least-loaded one (ties by username, so the choice is stable); nobody when none covers it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from followup.tasks import Task
from stratify.records import Level

ROLE_LEVEL = {"village_doctor": Level.VILLAGE, "township_gp": Level.TOWNSHIP, "county_specialist": Level.COUNTY}


class Roster:
    """Active doctors by level with their open-task load, updated as tasks are assigned."""

    def __init__(self, doctors: Iterable[tuple[str, str, str]], load: Counter[str]) -> None:
        self.by_level: dict[Level, list[tuple[str, str]]] = {}
        for username, role, region in doctors:
            self.by_level.setdefault(ROLE_LEVEL[role], []).append((username, region))
        self.load = load

    def choose(self, level: Level, village: str, preferred: str | None = None) -> str | None:
        """The doctor for a task of this level in this village: `preferred` (the family doctor) when they
        cover it, else the least loaded of those who do; None when nobody does."""
        covering = [u for u, region in self.by_level.get(level, ()) if village.startswith(region)]
        if preferred in covering:
            return preferred
        return min(covering, key=lambda u: (self.load[u], u), default=None)

    def assign(self, task: Task) -> None:
        """Set a new task's assignee: its planned one (the family doctor) only if that login may take it."""
        task.assignee = self.choose(task.owner_level, task.village_code, task.assignee)
        if task.assignee is not None:
            self.load[task.assignee] += 1
