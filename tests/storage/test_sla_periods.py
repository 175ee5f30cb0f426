"""Month after month, `sla check` skips only tickets that cannot count, on a year of
generated history (hand edits, back-dating, reopens, every line and priority)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import pytest

from supportctl.domain.periods import resolve_period
from supportctl.sla.compliance import compliance
from supportctl.sla.engine import evaluate
from supportctl.storage.clocks import desk_sla, make_policy
from supportctl.storage.desk import Desk
from supportctl.storage.history import History

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    out = tmp_path_factory.mktemp("year") / "repo"
    generate.generate(300, 3000, out, seed=5)
    return Desk(out)


def _summary(result):  # type: ignore[no-untyped-def]
    return (result.as_dict(), [(b.ticket, b.metric, b.breached_at) for b in result.breaches])


@pytest.mark.parametrize(
    "month", ["2025-09", "2025-12", "2026-02", "2026-05", "2026-08", "2026-10"]
)
def test_the_period_filter_changes_no_number(year: Desk, month: str) -> None:
    now = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    period = resolve_period(month, None, None, now, year.config.timezone)
    at = min(now, period.until)
    grouped = History(year, progress=False).by_ticket()
    policy = make_policy(year.config)
    everything = [evaluate(t, evs, policy, at) for t, evs in grouped.items()]
    filtered = desk_sla(year, at, period=(period.since, period.until))
    assert len(filtered.tickets) < len(everything)  # the filter does skip tickets
    full = compliance(everything, period.since, period.until)
    assert full.overall.total > 0 or month == "2026-10"
    assert _summary(compliance(filtered.tickets.values(), period.since, period.until)) == _summary(
        full
    )


def test_incremental_cache_equals_a_full_scan(year: Desk) -> None:
    h = History(year, progress=False)
    h.path.unlink(missing_ok=True)
    h.by_ticket("HEAD~700")  # cache at an older tip, then extended to HEAD
    extended = h.by_ticket()
    flat = h.events()
    h.path.unlink()
    assert History(year, progress=False).by_ticket() == extended
    assert History(year, progress=False).events() == flat
    # the flat list is in commit order, and each ticket's list is in time order
    regrouped: dict[str, list] = {}
    for e in flat:
        regrouped.setdefault(e.ticket, []).append(e)
    for t, evs in regrouped.items():
        assert extended[t] == sorted(evs, key=lambda e: e.at.timestamp())
