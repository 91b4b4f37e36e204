"""What every page shares: language, translations, the user, tier display, and error pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from litestar import Request
from litestar.exceptions import ValidationException
from litestar.response import Template

from service.auth import Principal
from service.problems import word
from service.reasons import StoredReason
from service.validation import FieldError
from service.vocabulary import SYMPTOMS, URGENT_FIRST, Adherence, CallOutcome, Hypoglycemia, Referral, Tier, VisitMode
from ui.i18n import DEFAULT_LANG, LANGS, local_date, translate

T = TypeVar("T")
TIER_ICONS = {Tier.RED: "▲", Tier.YELLOW: "◆", Tier.GREEN: "●", None: "○"}  # shape differs too: colour is never alone
CHOICES = {  # the closed vocabularies forms offer, in CONTRACT order
    "tiers": URGENT_FIRST,
    "symptoms": tuple(SYMPTOMS),
    "adherence": tuple(Adherence),
    "hypoglycemia": tuple(Hypoglycemia),
    "referrals": tuple(Referral),
    "modes": tuple(VisitMode),
    "outcomes": tuple(CallOutcome),
}


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


def field_key(path: str) -> str:
    """The form field an error's path belongs beside: its first name (`visits[0].sbp` -> `visits`)."""
    return path.split(".", maxsplit=1)[0].split("[", maxsplit=1)[0]


def form_errors(errors: Iterable[FieldError], lang: str, field: Callable[[str], str] = field_key) -> dict[str, str]:
    """Located errors keyed by the form field they belong beside (by default `field_key`), worded in the
    page's language; a field's first error wins."""
    result: dict[str, str] = {}
    for e in errors:
        key = field(e.field)
        result.setdefault(key, word(e.field, e.message, lang))
    return result


def page(request: Request, template: str, *, status_code: int = 200, **context: Any) -> Template:
    lang = language(request)
    user: Principal | None = request.scope.get("user")
    settings = request.app.state.settings
    zone, today = ZoneInfo(settings.timezone), settings.today()

    def day(value: str | dt.date | None) -> str:
        return local_date(value, lang, today)

    def reason(r: StoredReason) -> str:
        return r.text(lang, day)

    return Template(
        template_name=template,
        status_code=status_code,
        context={
            "lang": lang,
            "t": lambda key, **values: translate(lang, key, **values),
            "user": user,
            "tier_icon": TIER_ICONS,
            "reason": reason,
            "day": day,
            "choices": CHOICES,
            "pct": lambda share: "—" if share is None else f"{share:.0%}",
            "local_time": lambda at: local_time(at, zone),
            "policy": request.app.state.policy,
            **context,
        },
    )


def error_page(request: Request, status: int, message_key: str) -> Template:
    """An HTML error page in the user's language (never a raw JSON body on a page)."""
    return page(request, "error.html", status_code=status, status=status, message=message_key)
