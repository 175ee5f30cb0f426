"""Month after month, the report evaluates only the tickets that can change its figures and
still gives the report of every ticket, on a year of generated history (hand edits,
back-dating, reopens) with threads, tags, hours and customer moves on old tickets added
through the real actions."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from supportctl.domain.periods import resolve_period
from supportctl.ops import tickets as ops
from supportctl.report.collect import report_model
from supportctl.report.trend import counts_in, trend_months
from supportctl.sla.compliance import compliance
from supportctl.sla.engine import evaluate
from supportctl.storage.clocks import make_policy
from supportctl.storage.desk import Desk

if TYPE_CHECKING:
    from collections.abc import Iterator

    from supportctl.domain.events import Event
    from supportctl.domain.periods import Period
    from supportctl.storage.history import Keep

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
MONTHS = [
    f"{y}-{m:02d}" for y, m in [(2025, 9 + i) for i in range(4)] + [(2026, i) for i in range(1, 11)]
]


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    out = tmp_path_factory.mktemp("year") / "repo"
    generate.generate(300, 3000, out, seed=11, verbose=False)
    desk = Desk(out)
    created = {
        t: evs[0].at
        for t, evs in desk.events_by_ticket().items()
        if evs[0].action == "new" and "~" not in t
    }
    by_age = sorted(created, key=lambda t: created[t])
    old, recent = by_age[:40], by_age[150:]
    for i in range(0, 20, 2):
        # a late report duplicates an early one, which (linked later, back-dated) duplicates
        # an even earlier one: a thread of a late month leads into tickets long quiet
        late, early, earliest = recent[i * 5], old[i + 1], old[i]
        ops.link(
            desk, late, kind="duplicate_of", other=early, at=created[late] + timedelta(hours=2)
        )
        ops.link(
            desk,
            early,
            kind="duplicate_of",
            other=earliest,
            at=created[early] + timedelta(days=3),
        )
    for i in range(20, 30):
        t = old[i]
        ops.tag(desk, t, add=["billing", "vat"], at=created[t] + timedelta(days=1))
        # hours of a later month logged on an old ticket, and a move to the other customer
        ops.log_time(
            desk,
            t,
            minutes=90,
            on=(created[t] + timedelta(days=100)).date(),
            at=created[t] + timedelta(days=2),
        )
        customer = desk.ticket(t).ticket.customer
        ops.edit(
            desk,
            t,
            {"customer": "globex" if customer == "acme" else "acme"},
            at=created[t] + timedelta(days=2, hours=1),
        )
    for i in range(30, 40):
        t = old[i]
        ops.log_time(desk, t, minutes=45, on=date(2026, 3, 10), at=created[t] + timedelta(days=1))
    return desk


class _Counting:
    """The desk, counting the tickets whose events a report decodes."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.decoded = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.desk, name)

    def events_by_ticket(
        self, rev: str = "HEAD", keep: Keep | None = None
    ) -> dict[str, list[Event]]:
        found = self.desk.events_by_ticket(rev, keep)
        self.decoded += len(found)
        return found

    def iter_events_by_ticket(
        self, rev: str = "HEAD", keep: Keep | None = None
    ) -> Iterator[tuple[str, list[Event]]]:
        for found in self.desk.iter_events_by_ticket(rev, keep):
            self.decoded += 1
            yield found


@pytest.mark.parametrize("month", MONTHS)
def test_a_months_report_is_the_report_of_every_ticket(year: Desk, month: str) -> None:
    period = resolve_period(month, None, None, NOW, year.config.timezone)
    every = len(year.events_by_ticket())
    for customer in ("acme", "globex", None):
        counting = _Counting(year)
        scoped = report_model(counting, period, customer, NOW)  # type: ignore[arg-type]
        assert scoped == report_model(year, period, customer, NOW, every_ticket=True)
        if month not in ("2025-09", "2025-10"):  # the first months: every ticket counts
            alone = _Counting(year)
            report_model(alone, period, customer, NOW, trend=False)  # type: ignore[arg-type]
            assert alone.decoded < every / 2
            # the six months' trend reads, besides, only tickets that can count in them
            assert counting.decoded <= alone.decoded + _in_six_months(year, period)
    assert scoped["tickets"] or month > "2026-08"  # the history ends in August


def _in_six_months(desk: Desk, period: Period) -> int:
    months = trend_months(period, ZoneInfo(desk.config.timezone))
    return len(desk.events_by_ticket(keep=lambda _t, span: counts_in(months, span)))


def _quiet_ticket(desk: Desk, customer: str, day: datetime) -> str:
    """A ticket of `customer` created, resolved and closed on `day`, with 90 minutes of
    March 2026 logged on it."""
    tid = ops.new_ticket(
        desk,
        title="Old question",
        customer=customer,
        type="information_request",
        priority="normal",
        at=day,
    ).ticket_id
    ops.resolve(desk, tid, resolution="Answered", at=day + timedelta(hours=1))
    ops.close(desk, tid, at=day + timedelta(hours=2))
    ops.log_time(desk, tid, minutes=90, on=date(2026, 3, 10), at=day + timedelta(hours=3))
    return tid


def test_a_customer_move_back_dated_before_an_earlier_one_keeps_the_ticket(
    support_repo: Path,
) -> None:
    desk = Desk(support_repo)
    day = datetime.fromisoformat("2025-10-01T10:00:00+03:00")
    moved = _quiet_ticket(desk, "acme", day)
    # moved to globex; then a move back to acme is committed, dated before that move: by
    # time the ticket ends at globex, while its latest file says acme
    ops.edit(desk, moved, {"customer": "globex"}, at=day + timedelta(days=2))
    ops.edit(desk, moved, {"customer": "acme"}, at=day + timedelta(days=1))
    assert desk.ticket(moved).ticket.customer == "acme"
    in_order = _quiet_ticket(desk, "acme", day + timedelta(days=3))
    ops.edit(desk, in_order, {"customer": "globex"}, at=day + timedelta(days=4))
    period = resolve_period("2026-03", None, None, NOW, desk.config.timezone)
    decoded: list[str] = []

    class Recording(_Counting):
        def events_by_ticket(
            self, rev: str = "HEAD", keep: Keep | None = None
        ) -> dict[str, list[Event]]:
            found = self.desk.events_by_ticket(rev, keep)
            decoded.extend(found)
            return found

        def iter_events_by_ticket(
            self, rev: str = "HEAD", keep: Keep | None = None
        ) -> Iterator[tuple[str, list[Event]]]:
            for found in self.desk.iter_events_by_ticket(rev, keep):
                decoded.append(found[0])
                yield found

    for customer in ("acme", "globex", None):
        # what the report itself reads (its trend reads every ticket of its six months)
        scoped = report_model(Recording(desk), period, customer, NOW, trend=False)  # type: ignore[arg-type]
        every = report_model(desk, period, customer, NOW, every_ticket=True, trend=False)
        assert scoped == every
    assert moved in decoded
    assert in_order not in decoded  # a move in commit order leaves it out as before
    billed = report_model(desk, period, "globex", NOW)["time"]["tickets"]
    assert [t["ticket"] for t in billed] == sorted([moved, in_order], key=lambda t: int(t[4:]))


def test_each_month_of_the_trend_has_that_months_own_figures(year: Desk) -> None:
    period = resolve_period("2026-03", None, None, NOW, year.config.timezone)
    for customer in ("acme", "globex", None):
        rows = report_model(year, period, customer, NOW)["trend"]
        assert [r["month"] for r in rows] == [
            "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"
        ]  # fmt: skip
        for row in rows:
            month = resolve_period(row["month"], None, None, NOW, year.config.timezone)
            own = report_model(year, month, customer, NOW, trend=False)
            assert row == {
                "month": row["month"],
                "requests": own["summary"]["created"],
                "compliance_percent": own["sla"]["compliance"]["overall"]["percent"],
                "hours": own["time"]["total_hours"],
            }
        assert sum(r["requests"] for r in rows) > 0
        assert any(r["compliance_percent"] not in (None, 100.0) for r in rows)
        assert any(r["hours"] > 0 for r in rows)


def test_the_trend_read_a_ticket_at_a_time_is_the_trend_of_every_tickets_events(
    year: Desk,
) -> None:
    period = resolve_period("2026-03", None, None, NOW, year.config.timezone)
    months = trend_months(period, ZoneInfo(year.config.timezone))
    policy = make_policy(year.config)
    whole = year.events_by_ticket()
    slas = {t: evaluate(t, evs, policy, period.until) for t, evs in whole.items()}
    for customer in ("acme", "globex", None):
        mine = [t for t, s in slas.items() if customer in (None, s.attrs.get("customer"))]
        expected = [
            (
                sum(1 for t in mine for e in whole[t] if e.action == "new" and _in(e.at, m)),
                compliance([slas[t] for t in mine], m.since, m.until).overall.percent,
            )
            for m in months
        ]
        rows = report_model(year, period, customer, NOW)["trend"]
        assert [(r["requests"], r["compliance_percent"]) for r in rows] == expected
        assert any(p not in (None, 100.0) for _, p in expected)


def _in(t: datetime, period: Period) -> bool:
    return period.since <= t < period.until
