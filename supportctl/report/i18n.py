"""What a report prints, in the reader's language: Babel for numbers, money, dates and
plural forms, the gettext catalogs (`supportctl.storage.locale`) for words.

English keeps the report's long-standing spellings (`4h10m`, `33.3%`, ISO dates), so an
English report reads as it always did; Russian and Ukrainian follow their locale
(`4 ч 10 мин`, `33,3 %`, `05.10.2026`). Money is always Babel's (`1 234,50 ₽`,
`RUB 1,234.50`) and hours beside money are `h:mm`, so that the reader can recompute every
cost from the figures printed beside it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from supportctl.domain.durations import format_duration
from supportctl.storage.locale import translations

if TYPE_CHECKING:
    import gettext
    from collections.abc import Callable

AUDIENCES = ("customer", "internal")
# A non-breaking space between a number and its unit: a table cell never wraps there.
NBSP = "\u00a0"


def _(message: str) -> str:
    """Marks a string for extraction; it is translated where it is printed (`Formats.t`)."""
    return message


def _p(context: str, message: str) -> tuple[str, str]:
    """Marks a string with a context (a status `closed` is not the action `closed` in
    Russian or Ukrainian); translated where it is printed."""
    return context, message


class Formats:
    """The report's filters for one language."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.translations: gettext.NullTranslations = translations(language)
        self.t = self.translations.gettext
        self.english = language == "en"

    # -- numbers ---------------------------------------------------------------------
    def count(self, value: Any) -> str:
        if self.english:
            return str(value)
        from babel.numbers import format_decimal

        return str(format_decimal(int(value), locale=self.language))

    def dur(self, seconds: Any) -> str:
        """Business time of an SLA clock: `1h30m` (en), `1 ч 30 мин` (ru), `1 год 30 хв` (uk)."""
        if seconds is None:
            return "—"
        if self.english:
            return format_duration(float(seconds))
        sign = "-" if float(seconds) < 0 else ""
        s = round(abs(float(seconds)))
        h, rem = divmod(s, 3600)
        m, sec = divmod(rem, 60)
        parts = []
        if h:
            parts.append(self.t(_("%(n)sh")) % {"n": self.count(h)})
        if m:
            parts.append(self.t(_("%(n)sm")) % {"n": m})
        if sec:
            parts.append(self.t(_("%(n)ss")) % {"n": sec})
        text = " ".join(parts) or self.t(_("%(n)sm")) % {"n": 0}
        return sign + text.replace(" ", NBSP)

    def pct(self, value: Any) -> str:
        if value is None:
            return self.t(_("n/a"))
        if self.english:
            return f"{float(value):.1f}%"
        from babel.numbers import format_decimal

        # rounded once, as the English text is: Babel would round the decimal text of the
        # float again (93.55 to 93.6 where the figure is 93.548…)
        rounded = Decimal(f"{float(value):.1f}")
        return f"{format_decimal(rounded, '#,##0.0', locale=self.language)}{NBSP}%"

    def pct3(self, value: Any) -> str:
        """An availability: a percent to three decimals."""
        if value is None:
            return self.t(_("n/a"))
        if self.english:
            return f"{float(value):.3f}%"
        from babel.numbers import format_decimal

        rounded = Decimal(f"{float(value):.3f}")
        return f"{format_decimal(rounded, '#,##0.000', locale=self.language)}{NBSP}%"

    @staticmethod
    def signed(value: int) -> str:
        return f"+{value}" if value > 0 else ("±0" if value == 0 else str(value))

    def hours(self, value: Any) -> str:
        """Decimal hours (a package size): `10.00` (en), `10,00` (ru, uk)."""
        if self.english:
            return f"{float(value):.2f}"
        from babel.numbers import format_decimal

        return str(format_decimal(float(value), "#,##0.00", locale=self.language))

    def hm(self, minutes: Any) -> str:
        """Whole minutes as `h:mm`, the form every cost is computed from."""
        m = round(float(minutes))
        sign = "-" if m < 0 else ""
        h, mm = divmod(abs(m), 60)
        return f"{sign}{self.count(h)}:{mm:02d}"

    def money(self, value: Any, currency: str = "") -> str:
        """`1 234,50 ₽`, `€1,234.50`; a currency without a symbol of its own in the locale
        follows the number as its code (`1,234.50 RUB`, never `RUB1,234.50`)."""
        from babel.numbers import format_currency, format_decimal, get_currency_symbol

        if currency and get_currency_symbol(currency, locale=self.language) != currency:
            return str(format_currency(float(value), currency, locale=self.language))
        text = str(format_decimal(float(value), "#,##0.00", locale=self.language))
        return f"{text}{NBSP}{currency}" if currency else text

    def rate(self, value: Any, currency: str = "") -> str:
        """A price per hour: money, without decimals when it has none."""
        return self.money(value, currency)

    # -- dates -----------------------------------------------------------------------
    def day(self, value: Any) -> str:
        """A date in the locale's short form, with the whole year (`05.10.2026`)."""
        if not value:
            return "—"
        if self.english:
            return str(value)[:10]
        from babel.core import Locale
        from babel.dates import format_date

        short = str(Locale.parse(self.language).date_formats["short"].pattern)
        pattern = re.sub(r"(?<!y)yy(?!y)", "y", short)  # uk's `dd.MM.yy`: never a 2-digit year
        return str(format_date(date.fromisoformat(str(value)[:10]), pattern, locale=self.language))

    def when(self, value: Any) -> str:
        """A moment in the report's time zone, to the minute."""
        if not value:
            return "—"
        if self.english:
            return str(value)[:16].replace("T", " ")
        from babel.dates import format_time

        moment = datetime.fromisoformat(str(value))
        time = format_time(moment, "short", tzinfo=moment.tzinfo, locale=self.language)
        return f"{self.day(value)}, {time}"

    def stamp(self, value: Any) -> str:
        """A moment as the team reads it: ISO 8601 in English, else to the minute."""
        if self.english or not value:
            return str(value) if value else "—"
        return self.when(value)

    def second(self, value: Any) -> str:
        """A moment to the second (the audit trail): `2026-10-05 10:00:00` in English."""
        if self.english or not value:
            return str(value)[:19].replace("T", " ") if value else "—"
        from babel.dates import format_datetime

        moment = datetime.fromisoformat(str(value))
        return str(format_datetime(moment, "medium", tzinfo=moment.tzinfo, locale=self.language))

    def last_day(self, until: Any) -> str:
        """The last day of a period that ends (exclusive) at `until`."""
        from datetime import timedelta

        return self.day((datetime.fromisoformat(str(until)) - timedelta(days=1)).date().isoformat())

    def number(self, value: Any) -> str:
        """A figure as the model holds it (`6.0`, `2.5`): shortest form, locale's separator."""
        if self.english:
            return f"{float(value):g}"
        from babel.numbers import format_decimal

        return str(format_decimal(float(value), "#,##0.##", locale=self.language))

    def month(self, label: Any) -> str:
        """`2026-10` as `October 2026` / `Октябрь 2026` / `Жовтень 2026`; another period
        label as it is."""
        text = str(label)
        if len(text) != 7:
            return text
        from babel.dates import format_date

        name = str(format_date(date.fromisoformat(f"{text}-01"), "LLLL y", locale=self.language))
        return name[:1].upper() + name[1:]

    def words(self, value: Any) -> str:
        """A value of the ticket vocabulary (`in_progress`), in words of the reader."""
        if value is None:
            return "—"
        text = str(value)
        if text in STATUSES:
            return self.translations.pgettext(*STATUSES[text])
        return self.t(VOCABULARY[text]) if text in VOCABULARY else text

    def action(self, value: Any) -> str:
        """What the team did (`taken_into_work`), in the customer's words."""
        text = str(value)
        return self.translations.pgettext(*ACTIONS[text]) if text in ACTIONS else text

    def event(self, value: Any) -> str:
        """An audit row's action (`escalate`): as the history names it in English, else in
        the reader's words."""
        text = str(value)
        if self.english or text not in EVENTS:
            return text
        return self.translations.pgettext(*EVENTS[text])

    def event_detail(self, row: Any) -> str:
        """An audit row's facts in the reader's words; English reads the row's `detail`."""
        parts = row.get("parts")
        if self.english or parts is None:  # a model stored before the facts were kept
            return str(row["detail"])
        texts = [self._fact(p) for p in parts]
        return "; ".join(t for t in texts if t)

    def _fact(self, part: dict[str, Any]) -> str:
        kind = part["kind"]
        if kind == "renamed":
            return self.t(_("renamed from %(id)s")) % {"id": part["from"]}
        if kind == "change":
            old, new = (self._value(part["field"], part[k]) for k in ("old", "new"))
            return f"{self._field(part['field'])} {old} → {new}"
        if kind == "title_changed":
            return self.t(_("title changed"))
        if kind == "detail":
            return f"{self._field(part['field'])}: {self._value(part['field'], part['value'])}"
        if kind == "worked":
            minutes = self.t(_("%(n)s min")) % {"n": self.count(part["minutes"])}
            if not part.get("on"):
                return minutes
            return self.t(_("%(time)s on %(day)s")) % {"time": minutes, "day": self.day(part["on"])}
        if kind == "overridden":
            return self.t(_("overridden by a later action on another clone (kept in history)"))
        if kind == "created":
            return ", ".join(
                f"{self._field(f['field'])} {self._value(f['field'], f['value'])}"
                for f in part["fields"]
            )
        return ""

    def _field(self, name: str) -> str:
        return self.translations.pgettext(*FIELDS[name]) if name in FIELDS else name

    def _value(self, field: str, value: Any) -> str:
        if not value:
            return "-"
        text = str(value)
        for mask, message in MASKS.items():  # also inside a reason that named another ticket
            text = text.replace(mask, self.t(message))
        if field == "visibility" and text in VISIBILITY:
            return self.translations.pgettext(*VISIBILITY[text])
        if field in ("status", "priority", "type", "channel"):
            return self.words(text)
        kind, _space, other = text.partition(" ")
        if field == "link" and kind in LINKS:  # `duplicate_of SUP-21`
            return f"{self.translations.pgettext(*LINKS[kind])} {other}".rstrip()
        return text

    def clock_state(self, value: str) -> str:
        """An SLA clock's state (`running`, `met`, …) in the reader's words."""
        return self.translations.pgettext(*CLOCK_STATES[value]) if value in CLOCK_STATES else value

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "dur": self.dur,
            "pct": self.pct,
            "pct3": self.pct3,
            "signed": self.signed,
            "hours": self.hours,
            "hm": self.hm,
            "money": self.money,
            "rate": self.rate,
            "count": self.count,
            "day": self.day,
            "when": self.when,
            "month": self.month,
            "words": self.words,
            "action": self.action,
            "event": self.event,
            "event_detail": self.event_detail,
            "stamp": self.stamp,
            "second": self.second,
            "last_day": self.last_day,
            "number": self.number,
        }


# The ticket vocabulary a reader sees (statuses, types, priorities, channels, metrics) and
# the team's actions in customer words; other values (a class, a line) print as they are.
STATUSES = {
    "new": _p("status", "new"),
    "in_progress": _p("status", "in progress"),
    "waiting": _p("status", "waiting"),
    "resolved": _p("status", "resolved"),
    "closed": _p("status", "closed"),
}
ACTIONS = {
    "received": _p("action", "received"),
    "replied": _p("action", "replied"),
    "taken_into_work": _p("action", "taken into work"),
    "escalated": _p("action", "escalated"),
    "waiting_for_you": _p("action", "waiting for your answer"),
    "resolved": _p("action", "resolved"),
    "closed": _p("action", "closed"),
    "reopened": _p("action", "reopened"),
}
CLOCK_STATES = {
    "running": _p("clock", "running"),
    "paused": _p("clock", "paused"),
    "met": _p("clock", "met"),
    "breached": _p("clock", "breached"),
    "none": _p("clock", "none"),
}
VOCABULARY = {
    "incident": _("incident"),
    "service_request": _("service request"),
    "information_request": _("information request"),
    "change_request": _("change request"),
    "critical": _("critical"),
    "high": _("high"),
    "normal": _("normal"),
    "low": _("low"),
    "email": _("email"),
    "phone": _("phone"),
    "messenger": _("messenger"),
    "portal": _("portal"),
    "monitoring": _("monitoring"),
    "first_response": _("first response"),
    "start_work": _("start work"),
    "resolution": _("resolution"),
}
# What the history calls an action, a field and a visibility, for the team's audit trail;
# masks are the words that stand for what a customer's section may not name.
EVENTS = {
    "new": _p("event", "new"),
    "comment": _p("event", "comment"),
    "assign": _p("event", "assign"),
    "start": _p("event", "start"),
    "wait": _p("event", "wait"),
    "escalate": _p("event", "escalate"),
    "deescalate": _p("event", "deescalate"),
    "resolve": _p("event", "resolve"),
    "close": _p("event", "close"),
    "reopen": _p("event", "reopen"),
    "log": _p("event", "log"),
    "edit": _p("event", "edit"),
    "link": _p("event", "link"),
    "tag": _p("event", "tag"),
    "rename": _p("event", "rename"),
    "delete": _p("event", "delete"),
}
FIELDS = {
    "status": _p("field", "status"),
    "assignee": _p("field", "assignee"),
    "line": _p("field", "line"),
    "priority": _p("field", "priority"),
    "type": _p("field", "type"),
    "customer": _p("field", "customer"),
    "channel": _p("field", "channel"),
    "class": _p("field", "class"),
    "reason": _p("field", "reason"),
    "visibility": _p("field", "visibility"),
    "link": _p("field", "link"),
    "kb": _p("field", "KB article"),
    "tags-added": _p("field", "tags added"),
    "tags-removed": _p("field", "tags removed"),
}
VISIBILITY = {
    "public": _p("visibility", "public"),
    "internal": _p("visibility", "internal"),
}
LINKS = {
    "duplicate_of": _p("link", "duplicate of"),
    "related": _p("link", "related to"),
    "parent": _p("link", "part of"),
}
MASKS = {
    "(a ticket not in this report)": _("(a ticket not in this report)"),
    "(another customer)": _("(another customer)"),
    "(a KB article shared with other customers)": _("(a KB article shared with other customers)"),
}
