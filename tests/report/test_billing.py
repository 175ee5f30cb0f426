"""Time and money of the report on plain data: hours against the package, rollover, overage at
the rate, and service credits per breach. No repository, no git: worklog entries and customers
are written out by hand, and every expected figure is worked out in a comment.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from supportctl.config.settings import Customer, parse_config
from supportctl.domain.periods import Period, month_period
from supportctl.report.data import _package, _time_section, percentile
from supportctl.storage.desk import Worklog
from tests.helpers import CONFIG

MSK = ZoneInfo("Europe/Moscow")
OCTOBER = month_period("2026-10", MSK)
OWNER = {"SUP-1": "acme", "SUP-2": "acme", "SUP-9": "acme", "SUP-10": "acme", "SUP-3": "globex"}


def log(ticket: str, minutes: int, on: str, author: str = "anna@support.example") -> Worklog:
    return Worklog(ticket, minutes, on, "", author, f"{on}T12:00:00+03:00", "")


def customer(**kw: object) -> Customer:
    return Customer("acme", "ACME LLC", "standard", **kw)  # type: ignore[arg-type]


def money(c: Customer, logs: list[Worklog], breaches: int = 0, period: Period = OCTOBER) -> dict:  # type: ignore[type-arg]
    return _package(c, logs, OWNER, period, breaches)


# -- hours against the package -----------------------------------------------------------------
def test_unused_hours_burn_without_rollover() -> None:
    logs = [
        log("SUP-1", 90, "2026-10-05"),
        log("SUP-2", 45, "2026-10-31"),  # the last day is in
        log("SUP-3", 600, "2026-10-06"),  # globex's ticket
        log("SUP-1", 30, "2026-09-30"),  # September
        log("SUP-1", 30, "2026-11-01"),  # November
    ]
    m = money(customer(package_hours=10, rate=2500, currency="RUB"), logs)
    # used (90 + 45) / 60 = 2.25 h of 10; 10 - 2.25 = 7.75 h burn
    assert {k: m[k] for k in m if "hours" in k} == {
        "hours_used": 2.25,
        "package_hours": 10,
        "carried_in_hours": 0.0,
        "available_hours": 10.0,
        "balance_hours": 0.0,
        "burned_hours": 7.75,
        "overage_hours": 0.0,
    }
    assert (m["overage_cost"], m["rate"], m["currency"]) == (0.0, 2500, "RUB")


def test_hours_beyond_the_package_are_billed_at_the_rate() -> None:
    logs = [log("SUP-1", 125, "2026-10-05"), log("SUP-2", 85, "2026-10-20")]
    m = money(customer(package_hours=2, rate=2500), logs)
    # used (125 + 85) / 60 = 3.5 h; over 3.5 - 2 = 1.5 h; 1.5 * 2500 = 3750
    assert (m["hours_used"], m["overage_hours"], m["overage_cost"], m["burned_hours"]) == (
        3.5,
        1.5,
        3750.0,
        0.0,
    )


def test_without_a_package_every_hour_is_overage() -> None:
    m = money(customer(rate=1000), [log("SUP-1", 20, "2026-10-05")])
    # 20 min = 0.333.. h -> 0.33; cost 1000 * 0.333.. = 333.33
    assert (m["hours_used"], m["overage_hours"], m["overage_cost"]) == (0.33, 0.33, 333.33)


# -- rollover ----------------------------------------------------------------------------------
def test_rollover_carries_each_months_balance_from_the_first_logged_month() -> None:
    logs = [
        log("SUP-1", 240, "2026-07-10"),  # July: 4 h
        log("SUP-2", 720, "2026-08-10"),  # August: 12 h
        # September: nothing logged, the whole package carries
        log("SUP-1", 300, "2026-10-10"),  # October: 5 h
        log("SUP-1", 6000, "2026-11-10"),  # November: after the period, changes nothing
    ]
    m = money(customer(package_hours=10, rollover=True), logs)
    # July 0 + 10 - 4 = 6; August 6 + 10 - 12 = 4; September 4 + 10 - 0 = 14 carried in;
    # available 10 + 14 = 24; used 5; balance 24 - 5 = 19, kept (not burned)
    assert (m["carried_in_hours"], m["available_hours"], m["hours_used"]) == (14.0, 24.0, 5.0)
    assert (m["balance_hours"], m["burned_hours"], m["overage_hours"]) == (19.0, 0.0, 0.0)


def test_a_month_over_its_package_carries_nothing_not_a_debt() -> None:
    logs = [
        log("SUP-1", 1500, "2026-08-03"),  # August: 25 h, 15 h over (billed in August)
        log("SUP-1", 120, "2026-09-03"),  # September: 2 h
        log("SUP-1", 60, "2026-10-03"),
    ]
    m = money(customer(package_hours=10, rollover=True), logs)
    # August max(0, 0 + 10 - 25) = 0; September 0 + 10 - 2 = 8 carried in; available 18
    assert (m["carried_in_hours"], m["available_hours"], m["balance_hours"]) == (8.0, 18.0, 17.0)


def test_a_period_that_is_not_a_month_carries_nothing() -> None:
    days = Period(datetime(2026, 10, 1, tzinfo=MSK), datetime(2026, 10, 16, tzinfo=MSK), "x")
    logs = [log("SUP-1", 60, "2026-09-03"), log("SUP-1", 60, "2026-10-15")]
    m = money(customer(package_hours=10, rollover=True), logs, period=days)
    # only Oct 1-15 counts: 1 h of the 10 h package, nothing carried from September
    assert (m["carried_in_hours"], m["hours_used"], m["balance_hours"]) == (0.0, 1.0, 9.0)


# -- service credits ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("breaches", "cap", "percent", "amount"),
    [
        (0, 0.15, 0.0, 0.0),
        (3, 0.15, 6.0, 7200.0),  # 3 * 2% = 6%; 6% of 120000 = 7200
        (7, 0.15, 14.0, 16800.0),  # 7 * 2% = 14%, under the cap
        (10, 0.15, 15.0, 18000.0),  # 10 * 2% = 20%, capped at 15%; 15% of 120000 = 18000
        (10, 0.0, 20.0, 24000.0),  # no cap written: 20%; 20% of 120000 = 24000
    ],
)
def test_credits_are_a_share_of_the_fee_per_breach_up_to_the_cap(
    breaches: int, cap: float, percent: float, amount: float
) -> None:
    c = customer(credit_per_breach=0.02, credit_cap=cap, fee=120000)
    m = money(c, [], breaches)
    assert (m["breaches"], m["credit_percent"], m["fee"], m["credit_amount"]) == (
        breaches,
        percent,
        120000,
        amount,
    )


def test_credits_without_a_fee_are_a_percentage_only() -> None:
    m = money(customer(credit_per_breach=0.02, credit_cap=0.15), [], 2)
    assert (m["credit_percent"], m["credit_amount"]) == (4.0, 0.0)  # 2 * 2%; 4% of 0


@pytest.mark.parametrize(
    ("per_breach", "breaches", "percent", "amount"),
    [
        (0.00125, 1, 0.12, 180.0),  # 0.125% prints as 0.12%; 0.12% of 150000 = 180, not 187.50
        (0.00333, 3, 1.0, 1500.0),  # 3 * 0.333% = 0.999%, printed 1%; 1% of 150000 = 1500
    ],
)
def test_a_credit_is_the_printed_percentage_of_the_fee(
    per_breach: float, breaches: int, percent: float, amount: float
) -> None:
    m = money(customer(credit_per_breach=per_breach, fee=150000), [], breaches)
    assert (m["credit_percent"], m["credit_amount"]) == (percent, amount)
    assert m["credit_amount"] == round(m["credit_percent"] * m["fee"] / 100, 2)


# -- the time section: per customer, ticket and agent ------------------------------------------
def test_hours_per_ticket_and_agent_for_the_customers_asked() -> None:
    config = parse_config(CONFIG.encode(), Path("supportctl.yaml"))
    logs = [
        log("SUP-9", 60, "2026-10-05"),
        log("SUP-10", 60, "2026-10-06", "boris@support.example"),
        log("SUP-1", 30, "2026-10-07", "boris@support.example"),
        log("SUP-1", 15, "2026-10-08", "vera@support.example"),  # no name known
        log("SUP-3", 240, "2026-10-08"),  # globex: not asked for
        log("SUP-2", 600, "2026-09-30"),  # September
    ]
    names = {"anna@support.example": "Anna Smirnova", "boris@support.example": "Boris Petrenko"}
    time = _time_section(config, logs, OWNER, OCTOBER, ["acme"], Counter(acme=2), names)
    # SUP-9 and SUP-10 tie at 1 h: by number, 9 before 10; SUP-1 30 + 15 = 45 min = 0.75 h
    assert [(t["ticket"], t["hours"], t["minutes"]) for t in time["tickets"]] == [
        ("SUP-9", 1.0, 60),
        ("SUP-10", 1.0, 60),
        ("SUP-1", 0.75, 45),
    ]
    # what was done, entry by entry, in the order of the days
    assert time["tickets"][2]["work"] == [
        {"on": "2026-10-07", "minutes": 30, "note": ""},
        {"on": "2026-10-08", "minutes": 15, "note": ""},
    ]
    # Boris 60 + 30 = 90 min = 1.5 h; Anna 1 h; an unknown author by e-mail: 15 min = 0.25 h
    assert time["agents"] == [
        {"agent": "Boris Petrenko", "hours": 1.5, "minutes": 90},
        {"agent": "Anna Smirnova", "hours": 1.0, "minutes": 60},
        {"agent": "vera@support.example", "hours": 0.25, "minutes": 15},
    ]
    assert time["total_hours"] == 2.75  # 60 + 60 + 30 + 15 = 165 min
    (acme,) = time["customers"]
    # 2.75 h of acme's 10 h burn 7.25; 2 breaches * 2% = 4% (CONFIG has no fee: 0)
    assert (acme["customer"], acme["hours_used"], acme["burned_hours"]) == ("acme", 2.75, 7.25)
    assert (acme["breaches"], acme["credit_percent"], acme["credit_amount"]) == (2, 4.0, 0.0)


def test_a_customer_not_in_the_configuration_has_no_package_row() -> None:
    config = parse_config(CONFIG.encode(), Path("supportctl.yaml"))
    time = _time_section(config, [], OWNER, OCTOBER, ["acme", "gone"], Counter(), {})
    assert [c["customer"] for c in time["customers"]] == ["acme"]
    assert (time["tickets"], time["agents"], time["total_hours"]) == ([], [], 0.0)


# -- nearest-rank percentile (SLA times) -------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [
        ([], 0.5, None),
        ([7.0], 0.9, 7.0),
        ([4.0, 1.0, 3.0, 2.0], 0.5, 2.0),  # rank ceil(0.5 * 4) = 2 of 1, 2, 3, 4
        ([4.0, 1.0, 3.0, 2.0], 0.9, 4.0),  # rank ceil(0.9 * 4) = 4
        ([10.0, 20.0, 30.0, 40.0, 50.0], 0.9, 50.0),  # rank ceil(4.5) = 5
        ([10.0, 20.0, 30.0, 40.0, 50.0], 0.5, 30.0),  # rank ceil(2.5) = 3: an observed value
        ([5.0, 1.0], 0.0, 1.0),  # rank at least 1
    ],
)
def test_percentile_is_an_observed_value(
    values: list[float], share: float, expected: float | None
) -> None:
    assert percentile(values, share) == expected
