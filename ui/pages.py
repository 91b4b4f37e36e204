"""What every page shares: language, translations, the user, tier display, and error pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from litestar import Request
from litestar.exceptions import ValidationException
from litestar.response import Template

from service.auth import Principal
from stratify.wording import SYMPTOMS
from ui.i18n import DEFAULT_LANG, LANGS, local_date, reason_text, translate

T = TypeVar("T")
SYMPTOM_CODES = tuple(SYMPTOMS)  # the visit form's danger signs, in CONTRACT §3 order
TIER_ICONS = {"red": "▲", "yellow": "◆", "green": "●", None: "○"}  # shape differs too: colour is never alone


def language(request: Request) -> str:
    """?lang= switches and is remembered in the session; else the session's; else Chinese."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        request.session["lang"] = asked
        return asked
    remembered = request.session.get("lang") if request.scope.get("session") is not None else None
    return remembered if remembered in LANGS else DEFAULT_LANG


def local_time(at_utc: str, zone: ZoneInfo) -> str:
    """A stored UTC timestamp as the county's wall-clock time, to the minute."""
    return dt.datetime.fromisoformat(at_utc).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def form_value(value: str, name: str, parse: Callable[[str], T]) -> T | None:
    """A GET filter form's field: "" (left empty, or "all") is no filter; a value that does not parse
    (an unknown choice, a bad date) is a 400 naming the field."""
    if not value:
        return None
    try:
        return parse(value)
    except ValueError as e:
        raise ValidationException(f"{name}: {e}") from None


def page(request: Request, template: str, *, status_code: int = 200, **context: Any) -> Template:
    lang = language(request)
    user: Principal | None = request.scope.get("user")
    settings = request.app.state.settings
    zone, today = ZoneInfo(settings.timezone), settings.today()

    def day(value: str | dt.date | None) -> str:
        return local_date(value, lang, today)

    return Template(
        template_name=template,
        status_code=status_code,
        context={
            "lang": lang,
            "t": lambda key, **values: translate(lang, key, **values),
            "user": user,
            "tier_icon": TIER_ICONS,
            "reason": lambda r: reason_text(r, lang, day),
            "day": day,
            "symptoms": SYMPTOM_CODES,
            "pct": lambda share: "—" if share is None else f"{share:.0%}",
            "local_time": lambda at: local_time(at, zone),
            **context,
        },
    )


def age_on(birth: str, today: dt.date) -> int:
    born = dt.date.fromisoformat(birth)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def error_page(request: Request, status: int, message_key: str) -> Template:
    """An HTML error page in the user's language (never a raw JSON body on a page)."""
    return page(request, "error.html", status_code=status, status=status, message=message_key)
