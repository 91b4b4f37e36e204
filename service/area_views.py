"""Who may see the figures of an area (the dashboard, CONTRACT §11), and the levels an area has."""

from __future__ import annotations

from service.auth import Principal, Role
from service.errors import NotAllowed, OutsideRegion

CHILD_DIGITS = {6: 9, 9: 12, 12: 12}  # county -> townships, township -> villages, a village itself
# The center and admins for the county; township GPs and county specialists for their own region
# (CONTRACT §11: the figures of their area); village doctors have their working list instead.
AREA_ROLES = (Role.CENTER, Role.ADMIN, Role.TOWNSHIP_GP, Role.COUNTY_SPECIALIST)


def area_region(user: Principal, region: str | None, view: str) -> str:
    """The region an area view (the dashboard, the figures of §11) is asked for, by default the user's;
    NotAllowed or OutsideRegion when it is not theirs."""
    if user.role not in AREA_ROLES:
        raise NotAllowed(f"role {user.role} has no {view}")
    region = region or user.region
    if len(region) not in CHILD_DIGITS or not region.isdigit() or not region.startswith(user.region):
        raise OutsideRegion(f"region {region!r} is not within your region")
    return region
