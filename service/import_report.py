"""What `sanbiao import` tells the person who ran it (CONTRACT §8: messages for people in their
language): the counts, then each rejected resident's errors located by file, sheet, row and column,
worded like the pages word them. The JSON summary on stdout stays the API's, for scripts."""

from __future__ import annotations

from service.ingest import IngestSummary, Rejection
from service.problems import word

LANGS = ("zh-CN", "en")
LISTED = 20  # rejected residents spelled out; the rest are counted

TEXT = {
    "done": {
        "zh-CN": "导入完成：接收 {accepted} 人（新建 {created}，更新 {updated}，无变化 {unchanged}），"
        "拒绝 {rejected} 人",
        "en": "Imported: {accepted} accepted ({created} new, {updated} updated, {unchanged} unchanged), "
        "{rejected} rejected",
    },
    "resident": {"zh-CN": "居民 {record_id}（第 {n} 个）", "en": "resident {record_id} (no. {n})"},
    "row": {"zh-CN": "第 {row} 行", "en": "row {row}"},
    "more": {"zh-CN": "……另有 {n} 人被拒绝", "en": "... {n} more rejected"},
}


def _say(key: str, lang: str, **values: object) -> str:
    return TEXT[key][lang].format(**values)


def _where(rejection: Rejection, lang: str) -> str:
    return " ".join(
        part
        for part in (
            rejection.file,
            _say("resident", lang, record_id=rejection.record_id or "?", n=rejection.index + 1),
        )
        if part
    )


def report(summary: IngestSummary, lang: str) -> list[str]:
    """The lines to show, in `lang`."""
    counts = {k: getattr(summary, k) for k in ("accepted", "created", "updated", "unchanged")}
    lines = [_say("done", lang, **counts, rejected=summary.rejected_total)]
    for rejection in summary.rejected[:LISTED]:
        lines.append(_where(rejection, lang))
        for e in rejection.errors:
            at = " ".join(part for part in (e.sheet, _say("row", lang, row=e.row) if e.row else "") if part)
            lines.append(f"  {at + ' ' if at else ''}{e.column or e.field}: {word(e.field, e.message, lang)}")
    if summary.rejected_total > LISTED:
        lines.append(_say("more", lang, n=summary.rejected_total - LISTED))
    return lines
