"""Who does a task: the family doctor for green, else the least-loaded doctor of the owner level
whose region covers the village (ties by username, so the choice is stable)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from followup.tasks import Task
from stratify.records import Level

ROLE_LEVEL = {"village_doctor": Level.VILLAGE, "township_gp": Level.TOWNSHIP, "county_specialist": Level.COUNTY}


class Roster:
    """Doctors by level with their open-task load, updated as tasks are assigned."""

    def __init__(self, doctors: Iterable[tuple[str, str, str]], load: Counter[str]) -> None:
        self.by_level: dict[Level, list[tuple[str, str]]] = {}
        for username, role, region in doctors:
            self.by_level.setdefault(ROLE_LEVEL[role], []).append((username, region))
        self.load = load

    def assign(self, task: Task) -> None:
        """Fill in task.assignee when it has none and a doctor covers its village."""
        if task.assignee is None:
            covering = [
                u for u, region in self.by_level.get(task.owner_level, ()) if task.village_code.startswith(region)
            ]
            if covering:
                task.assignee = min(covering, key=lambda u: (self.load[u], u))
        if task.assignee is not None:
            self.load[task.assignee] += 1
