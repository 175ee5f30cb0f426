"""The six months a report's trend covers, and the target its customers' plans promise."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

from supportctl.config.settings import parse_config
from supportctl.domain.periods import resolve_period
from supportctl.report.trend import compliance_target, trend_months
from tests.helpers import CONFIG

KYIV = ZoneInfo("Europe/Kyiv")
NOW = datetime(2027, 6, 1, tzinfo=KYIV)


def test_the_six_months_end_with_the_reports_month_across_a_new_year() -> None:
    months = trend_months(resolve_period("2026-02", None, None, NOW, "Europe/Kyiv"), KYIV)
    assert [m.label for m in months] == [
        "2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02"
    ]  # fmt: skip
    assert months[0].since == datetime(2025, 9, 1, tzinfo=KYIV)
    assert months[-1].until == datetime(2026, 3, 1, tzinfo=KYIV)
    assert all(a.until == b.since for a, b in pairwise(months))


def test_a_period_of_days_ends_its_last_month_where_it_ends() -> None:
    period = resolve_period(None, "2026-03-20", "2026-04-10", NOW, "Europe/Kyiv")
    months = trend_months(period, KYIV)
    assert [m.label for m in months][-2:] == ["2026-03", "2026-04"]
    assert months[-1].since == datetime(2026, 4, 1, tzinfo=KYIV)
    assert months[-1].until == period.until == datetime(2026, 4, 11, tzinfo=KYIV)


def test_the_target_is_the_one_every_plan_of_the_report_promises() -> None:
    standard = "    warn_at: 80%\n"
    premium = (
        "  premium:\n    calendar: 24x7\n    compliance_target: 99.5%\n"
        "    rules:\n      - first_response: 1h\n"
    )
    text = (
        CONFIG.replace(standard, standard + "    compliance_target: 95\n", 1)
        .replace("customers:\n", premium + "customers:\n", 1)
        .replace("    name: Globex\n    plan: standard", "    name: Globex\n    plan: premium", 1)
    )
    config = parse_config(text.encode(), Path("supportctl.yaml"))
    assert config.customers["globex"].plan == "premium"
    assert compliance_target(config, ["acme"]) == 95.0
    assert compliance_target(config, ["globex"]) == 99.5
    # the desk's report over both plans: no one target to draw
    assert compliance_target(config, None) is None
    assert compliance_target(parse_config(CONFIG.encode(), Path("x.yaml")), ["acme"]) is None
