"""SLA engine with in-memory event lists: no git, no config file.

The policy below mirrors the test plan `standard` of tests/conftest.py: critical tickets
run 24x7 with 30m/1h/4h, everything else 2h/4h/16h in the Moscow office calendar
(mon-fri 09:00-13:00, 14:00-18:00, RU public holidays). 2026-10-05 is a Monday and
2026-11-04 (Unity Day, a Wednesday) a public holiday. Expected `due`/`breached_at`
instants are UTC, as the engine returns them.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest

from supportctl.domain.events import Event
from supportctl.sla.calendar import CALENDAR_24X7, Calendar, calendar_from_config
from supportctl.sla.compliance import compliance, counts_in
from supportctl.sla.engine import Policy, Target, TicketSla, evaluate, timeline
from supportctl.sla.status import open_clocks

MSK = timezone(timedelta(hours=3))
CET = timezone(timedelta(hours=1))
CEST = timezone(timedelta(hours=2))
H = 3600

OFFICE = calendar_from_config(
    "office",
    {
        "timezone": "Europe/Moscow",
        "hours": {"mon-fri": "09:00-13:00, 14:00-18:00"},
        "country": "RU",
    },
)
NORMAL = {"first_response": 2 * H, "start_work": 4 * H, "resolution": 16 * H}
CRITICAL = {"first_response": H // 2, "start_work": H, "resolution": 4 * H}


def standard(attrs: dict[str, str | None], metric: str) -> Target:
    if attrs.get("priority") == "critical":
        return Target(CRITICAL.get(metric), CALENDAR_24X7, 0.8, "critical")
    return Target(NORMAL.get(metric), OFFICE, 0.8, "default")


def msk(d: str, t: str) -> datetime:
    """Moscow wall time, e.g. msk("10-05", "09:00") is Monday 2026-10-05 09:00 +03:00."""
    return datetime.fromisoformat(f"2026-{d}T{t}").replace(tzinfo=MSK)


def z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


_shas = itertools.count(1)


def ev(
    action: str, at: datetime, ticket: str = "SUP-1", **changes: tuple[str | None, str | None]
) -> Event:
    details = {}
    if action == "comment":
        details["visibility"] = str(changes.pop("visibility", ("", "public"))[1])
    return Event(
        f"{next(_shas):040x}", ticket, action, at, at, "Anna", "anna@x", dict(changes), details
    )


def new(
    at: datetime, priority: str = "normal", ticket: str = "SUP-1", customer: str = "acme"
) -> Event:
    return ev(
        "new",
        at,
        ticket,
        status=(None, "new"),
        priority=(None, priority),
        customer=(None, customer),
        line=(None, "L1"),
        type=(None, "incident"),
    )


def reply(at: datetime, ticket: str = "SUP-1") -> Event:
    return ev("comment", at, ticket)


def note(at: datetime, ticket: str = "SUP-1") -> Event:
    return ev("comment", at, ticket, visibility=(None, "internal"))


def move(action: str, at: datetime, old: str, new_: str, ticket: str = "SUP-1") -> Event:
    return ev(action, at, ticket, status=(old, new_))


def run(events: list[Event], now: datetime, policy: Policy = standard) -> TicketSla:
    return evaluate(events[0].ticket, events, policy, now)


# -- when the clock starts ------------------------------------------------------------------
def test_created_on_saturday_starts_at_monday_opening() -> None:
    events = [new(msk("10-10", "12:00"))]  # Saturday
    before = run(events, msk("10-10", "15:00")).clocks["first_response"]
    assert (before.elapsed_seconds, before.state, before.due) == (
        0,
        "running",
        z("2026-10-12T08:00"),
    )

    t = run(events, msk("10-12", "10:00"))  # Monday, one business hour later
    fr, res = t.clocks["first_response"], t.clocks["resolution"]
    assert fr.started == msk("10-10", "12:00")
    assert (fr.elapsed_seconds, fr.target_seconds, fr.state) == (3600, 7200, "running")
    assert fr.due == z("2026-10-12T08:00")  # Mon 11:00 MSK
    assert fr.at_risk is False
    # 16h: Mon 09-13, 14-18 and Tue 09-13, 14-18 -> Tuesday's closing instant
    assert (res.elapsed_seconds, res.due) == (3600, z("2026-10-13T15:00"))


def test_created_on_ru_public_holiday_starts_next_working_day() -> None:
    events = [new(msk("11-04", "11:00"))]  # Wednesday, Unity Day
    fr = run(events, msk("11-04", "17:00")).clocks["first_response"]
    assert (fr.elapsed_seconds, fr.state, fr.due) == (
        0,
        "running",
        z("2026-11-05T08:00"),
    )  # Thu 11:00
    fr = run(events, msk("11-05", "10:00")).clocks["first_response"]
    assert (fr.elapsed_seconds, fr.due) == (3600, z("2026-11-05T08:00"))


@pytest.mark.parametrize(
    ("reply_at", "elapsed", "state", "breached_at"),
    [
        (
            msk("11-05", "10:30"),
            7200,
            "met",
            None,
        ),  # 30m on Tue + the holiday skipped + 1h30 on Thu
        (msk("11-05", "10:30:01"), 7201, "breached", z("2026-11-05T07:30")),
    ],
)
def test_holiday_in_the_middle_of_a_clock(
    reply_at: datetime, elapsed: int, state: str, breached_at: datetime | None
) -> None:
    events = [new(msk("11-03", "17:30")), reply(reply_at)]
    fr = run(events, msk("11-06", "12:00")).clocks["first_response"]
    assert (fr.elapsed_seconds, fr.state, fr.breached_at, fr.stopped) == (
        elapsed,
        state,
        breached_at,
        reply_at,
    )
    assert fr.due == z("2026-11-05T07:30")


# -- weekend, lunch, closing time -------------------------------------------------------------
def test_weekend_is_not_counted() -> None:
    events = [new(msk("10-09", "17:00"))]  # Friday, one hour before closing
    fr = run(events, msk("10-12", "10:00")).clocks["first_response"]  # Monday
    # 1h on Friday + 1h on Monday == target: still running (met when elapsed <= target), at risk
    assert (fr.elapsed_seconds, fr.state, fr.at_risk, fr.due) == (
        7200,
        "running",
        True,
        z("2026-10-12T07:00"),
    )
    fr = run(events, msk("10-12", "10:00:01")).clocks["first_response"]
    assert (fr.elapsed_seconds, fr.state, fr.breached_at) == (
        7201,
        "breached",
        z("2026-10-12T07:00"),
    )


def test_lunch_break_is_not_counted() -> None:
    events = [new(msk("10-05", "12:30")), reply(msk("10-05", "15:30"))]
    fr = run(events, msk("10-05", "16:00")).clocks["first_response"]
    assert (fr.elapsed_seconds, fr.state, fr.due) == (
        7200,
        "met",
        z("2026-10-05T12:30"),
    )  # 15:30 MSK
    lunch = run([new(msk("10-05", "12:30")), reply(msk("10-05", "13:40"))], msk("10-05", "16:00"))
    assert lunch.clocks["first_response"].elapsed_seconds == 1800
    # the resolution clock at 16:00: 30m before lunch + 2h after
    assert lunch.clocks["resolution"].elapsed_seconds == 9000


@pytest.mark.parametrize(
    ("reply_at", "elapsed", "state"),
    [
        (msk("10-05", "18:00"), 7200, "met"),  # exactly at closing: elapsed == target is met
        (msk("10-05", "18:30"), 7200, "met"),  # after closing nothing more is counted
        (msk("10-06", "09:00"), 7200, "met"),  # at the next opening instant, still nothing counted
        (msk("10-06", "09:00:01"), 7201, "breached"),
    ],
)
def test_exact_fit_at_closing_time(reply_at: datetime, elapsed: int, state: str) -> None:
    events = [new(msk("10-05", "16:00")), reply(reply_at)]
    fr = run(events, msk("10-07", "12:00")).clocks["first_response"]
    assert (fr.elapsed_seconds, fr.state) == (elapsed, state)
    assert fr.due == z("2026-10-05T15:00")  # the closing instant 18:00 MSK, not Tue 09:00
    assert fr.breached_at == (z("2026-10-05T15:00") if state == "breached" else None)


# -- DST (Europe/Berlin, 2026-03-29 spring forward, 2026-10-25 fall back) ----------------------
def berlin(hours: dict[str, str]) -> Calendar:
    return calendar_from_config("berlin", {"timezone": "Europe/Berlin", "hours": hours})


def fixed(seconds: int, cal: Calendar) -> Policy:
    """A policy with only a resolution target."""
    return lambda attrs, metric: Target(
        seconds if metric == "resolution" else None, cal, 0.8, "fixed"
    )


@pytest.mark.parametrize(
    ("hours", "created", "target", "due", "now", "elapsed"),
    [
        # whole days: 24 business hours are 24 real hours across spring forward (13:00 CEST, not 12:00)
        (
            {"mon-sun": "00:00-24:00"},
            datetime(2026, 3, 28, 12, tzinfo=CET),
            24 * H,
            z("2026-03-29T11:00"),
            datetime(2026, 3, 29, 12, tzinfo=CEST),
            23 * H,
        ),
        # ... and across fall back (11:00 CET)
        (
            {"mon-sun": "00:00-24:00"},
            datetime(2026, 10, 24, 12, tzinfo=CEST),
            24 * H,
            z("2026-10-25T10:00"),
            datetime(2026, 10, 25, 10, tzinfo=CET),
            23 * H,
        ),
        # office hours across the weekend of the change: Mon 08:00 is 06:00 UTC after the change
        (
            {"mon-fri": "08:00-18:00"},
            datetime(2026, 3, 27, 17, tzinfo=CET),
            2 * H,
            z("2026-03-30T07:00"),
            datetime(2026, 3, 30, 8, 30, tzinfo=CEST),
            1.5 * H,
        ),
        (
            {"mon-fri": "08:00-18:00"},
            datetime(2026, 10, 23, 17, tzinfo=CEST),
            2 * H,
            z("2026-10-26T08:00"),
            datetime(2026, 10, 26, 8, 30, tzinfo=CET),
            1.5 * H,
        ),
        # 02:00-04:00 lasts one real hour on 2026-03-29 (02:00-03:00 does not exist)
        (
            {"mon-sun": "02:00-04:00"},
            datetime(2026, 3, 28, 3, tzinfo=CET),
            3 * H,
            z("2026-03-30T01:00"),
            datetime(2026, 3, 29, 12, tzinfo=CEST),
            2 * H,
        ),
        # 01:00-05:00 lasts five real hours on 2026-10-25 (02:00-03:00 happens twice): 5h30 ends
        # at 01:30 CET the next day
        (
            {"mon-sun": "01:00-05:00"},
            datetime(2026, 10, 25, 1, tzinfo=CEST),
            5 * H + 1800,
            z("2026-10-26T00:30"),
            datetime(2026, 10, 25, 4, 30, tzinfo=CET),
            4.5 * H,
        ),
    ],
)
def test_dst_in_berlin(
    hours: dict[str, str],
    created: datetime,
    target: int,
    due: datetime,
    now: datetime,
    elapsed: float,
) -> None:
    policy = fixed(target, berlin(hours))
    events = [new(created)]
    res = run(events, now, policy).clocks["resolution"]
    assert res.elapsed_seconds == elapsed
    assert res.due == due
    assert res.state == "running"
    after = run(events, due + timedelta(seconds=1), policy).clocks["resolution"]
    assert (after.elapsed_seconds, after.state, after.breached_at) == (target + 1, "breached", due)
    assert run(events, due, policy).clocks["resolution"].state == "running"


# -- pauses -----------------------------------------------------------------------------------
def night_wait() -> list[Event]:
    return [
        new(msk("10-05", "09:00")),
        reply(msk("10-05", "09:30")),
        move("start", msk("10-05", "10:00"), "new", "in_progress"),
        move("wait", msk("10-05", "17:00"), "in_progress", "waiting"),
        move("start", msk("10-06", "10:00"), "waiting", "in_progress"),  # the customer answered
        move("resolve", msk("10-06", "12:00"), "in_progress", "resolved"),
    ]


def test_waiting_over_night_does_not_count_for_resolution() -> None:
    events = night_wait()
    paused = run(events[:4], msk("10-06", "09:30")).clocks["resolution"]
    # Mon 09-13 + 14-17 = 7h, then nothing while waiting
    assert (paused.elapsed_seconds, paused.state, paused.due, paused.at_risk) == (
        25200,
        "paused",
        None,
        False,
    )
    t = run(events, msk("10-06", "15:00"))
    res = t.clocks["resolution"]
    assert (res.elapsed_seconds, res.state, res.stopped, res.stop_action) == (
        32400,
        "met",
        msk("10-06", "12:00"),
        "resolve",
    )
    assert [(s.start, s.end) for s in t.spans] == [
        (msk("10-05", "09:00"), msk("10-05", "09:30")),  # each event splits a span
        (msk("10-05", "09:30"), msk("10-05", "10:00")),
        (msk("10-05", "10:00"), msk("10-05", "17:00")),
        (msk("10-06", "10:00"), msk("10-06", "12:00")),
    ]
    assert t.clocks["first_response"].elapsed_seconds == 1800
    assert t.clocks["start_work"].elapsed_seconds == 3600


def test_first_response_and_start_work_never_pause() -> None:
    events = [
        new(msk("10-05", "09:00")),
        move("wait", msk("10-05", "17:00"), "new", "waiting"),
        reply(msk("10-06", "10:00")),
        move("start", msk("10-06", "10:00"), "waiting", "in_progress"),
    ]
    t = run(events, msk("10-06", "11:00"))
    fr, sw, res = t.clocks["first_response"], t.clocks["start_work"], t.clocks["resolution"]
    # Mon 09-13, 14-18 and Tue 09-10, waiting or not
    assert (fr.elapsed_seconds, fr.state, fr.breached_at) == (
        32400,
        "breached",
        z("2026-10-05T08:00"),
    )
    # start_work ran on (no pause) until the ticket left `new` at 17:00: Mon 09-13, 14-17; 4h
    # from 09:00 end exactly at the lunch closing 13:00, so it is breached from 14:00
    assert (sw.elapsed_seconds, sw.state, sw.stop_action) == (25200, "breached", "wait")
    assert (sw.breached_at, sw.breached_from) == (z("2026-10-05T10:00"), z("2026-10-05T11:00"))
    assert (res.elapsed_seconds, res.state) == (25200 + 3600, "running")


@pytest.mark.parametrize(
    ("leave", "status"), [("wait", "waiting"), ("start", "in_progress"), ("resolve", "resolved")]
)
def test_start_work_stops_the_first_time_the_ticket_leaves_new(leave: str, status: str) -> None:
    """Reply, `wait` for the customer, `start` an hour later when the answer comes: the work
    started when the ticket left `new`, whichever way it left."""
    events = [
        new(msk("10-05", "10:00")),
        reply(msk("10-05", "10:05")),
        move(leave, msk("10-05", "10:10"), "new", status),
        *(
            [move("start", msk("10-05", "11:10"), "waiting", "in_progress")]
            if leave == "wait"
            else []
        ),
    ]
    sw = run(events, msk("10-06", "18:00")).clocks["start_work"]
    assert (sw.state, sw.elapsed_seconds, sw.stopped, sw.stop_action) == (
        "met",
        600,
        msk("10-05", "10:10"),
        leave,
    )
    # where 4h would have run out: 10:10-13:00, lunch, 14:00-15:00 MSK
    assert (sw.target_seconds, sw.due) == (4 * H, z("2026-10-05T12:00"))


def test_start_work_is_not_stopped_by_a_reply_or_a_line_change() -> None:
    events = [
        new(msk("10-05", "10:00")),
        reply(msk("10-05", "10:05")),
        ev("escalate", msk("10-05", "10:10"), line=("L1", "L2")),
    ]
    sw = run(events, msk("10-05", "12:00")).clocks["start_work"]
    assert (sw.state, sw.elapsed_seconds, sw.stopped) == ("running", 7200, None)


def test_reopen_resumes_resolution_clock_where_it_stopped() -> None:
    events = [
        *night_wait(),
        move("close", msk("10-06", "15:00"), "resolved", "closed"),
        move("reopen", msk("10-07", "10:00"), "closed", "in_progress"),
        move("resolve", msk("10-07", "11:30"), "in_progress", "resolved"),
    ]
    closed = run(events[:7], msk("10-07", "09:30")).clocks["resolution"]
    # closing does not move the stop: it stays at the resolve
    assert (closed.elapsed_seconds, closed.state, closed.stopped, closed.stop_action) == (
        32400,
        "met",
        msk("10-06", "12:00"),
        "resolve",
    )
    reopened = run(events[:8], msk("10-07", "11:00")).clocks["resolution"]
    assert (reopened.elapsed_seconds, reopened.state, reopened.stopped) == (36000, "running", None)
    assert reopened.due == z("2026-10-07T15:00")  # 6h left from Wed 11:00 -> Wed 18:00 closing
    final = run(events, msk("10-08", "12:00"))
    res = final.clocks["resolution"]
    assert (res.elapsed_seconds, res.state, res.stopped) == (37800, "met", msk("10-07", "11:30"))
    # first_response/start_work stopped long ago and are not reopened
    assert final.clocks["first_response"].stopped == msk("10-05", "09:30")
    assert final.clocks["start_work"].stopped == msk("10-05", "10:00")


def test_repeated_waiting_periods() -> None:
    events = [
        new(msk("10-05", "09:00")),
        move("start", msk("10-05", "09:15"), "new", "in_progress"),
        move("wait", msk("10-05", "10:00"), "in_progress", "waiting"),
        move("start", msk("10-05", "11:00"), "waiting", "in_progress"),
        move("wait", msk("10-05", "12:00"), "in_progress", "waiting"),
        move("start", msk("10-05", "15:00"), "waiting", "in_progress"),
        move("wait", msk("10-05", "16:00"), "in_progress", "waiting"),
        move("start", msk("10-06", "11:00"), "waiting", "in_progress"),
        move("resolve", msk("10-06", "12:00"), "in_progress", "resolved"),
    ]
    res = run(events, msk("10-06", "13:00")).clocks["resolution"]
    assert (res.elapsed_seconds, res.state) == (4 * H, "met")
    rows = timeline(events, standard, msk("10-06", "13:00"))
    assert [(r.action, r.business_seconds, r.counting) for r in rows] == [
        ("new", 0, False),
        ("start", 900, True),
        ("wait", 2700, True),
        ("start", 0, False),
        ("wait", 3600, True),
        ("start", 0, False),
        ("wait", 3600, True),
        ("start", 0, False),
        ("resolve", 3600, True),
        ("now", 0, False),
    ]
    assert rows[7].wall_seconds == 19 * H  # Mon 16:00 -> Tue 11:00
    assert sum(r.business_seconds for r in rows) == res.elapsed_seconds


def test_internal_note_is_not_a_response() -> None:
    events = [new(msk("10-05", "09:00")), note(msk("10-05", "09:10")), reply(msk("10-05", "09:20"))]
    fr = run(events, msk("10-05", "12:00")).clocks["first_response"]
    assert (fr.elapsed_seconds, fr.stopped) == (1200, msk("10-05", "09:20"))


def test_resolution_before_any_reply_stops_first_response_and_start_work() -> None:
    events = [new(msk("10-05", "09:00")), move("resolve", msk("10-05", "09:45"), "new", "resolved")]
    t = run(events, msk("10-05", "12:00"))
    for metric in ("first_response", "start_work", "resolution"):
        c = t.clocks[metric]
        assert (c.elapsed_seconds, c.state, c.stop_action) == (2700, "met", "resolve"), metric


# -- re-targeting on a priority change ---------------------------------------------------------
def retargeted(with_reply: bool = True) -> list[Event]:
    events = [new(msk("10-05", "10:00"))]
    if with_reply:
        events.append(reply(msk("10-05", "10:15")))
    events.append(ev("edit", msk("10-05", "11:00"), priority=("normal", "critical")))
    return events


@pytest.mark.parametrize(
    ("now", "elapsed", "state", "at_risk"),
    [
        (
            msk("10-05", "13:00"),
            10800,
            "running",
            False,
        ),  # 1h office + 2h 24x7 (lunch counts now): 75%
        (msk("10-05", "13:30"), 12600, "running", True),  # 87.5% >= 80%
        (msk("10-05", "14:00"), 14400, "running", True),  # elapsed == target: not breached yet
        (msk("10-05", "14:00:01"), 14401, "breached", False),
    ],
)
def test_priority_change_retargets_and_keeps_elapsed(
    now: datetime, elapsed: int, state: str, at_risk: bool
) -> None:
    """normal -> critical at 11:00: the resolution target becomes 4h; the hour already counted
    in the office calendar is kept, and the rest runs in 24x7 (through the lunch break)."""
    res = run(retargeted(), now).clocks["resolution"]
    assert (res.target_seconds, res.elapsed_seconds, res.state, res.at_risk) == (
        14400,
        elapsed,
        state,
        at_risk,
    )
    assert res.due == z("2026-10-05T11:00")  # 14:00 MSK
    assert res.calendar == "24x7"
    assert res.rule == "critical"
    assert res.breached_at == (z("2026-10-05T11:00") if state == "breached" else None)


def test_priority_change_after_a_stop_keeps_the_old_target() -> None:
    """A clock that stopped before the change is judged by the target in force at its stop."""
    fr = run(retargeted(), msk("10-05", "13:00")).clocks["first_response"]
    assert (fr.target_seconds, fr.elapsed_seconds, fr.state, fr.calendar) == (
        7200,
        900,
        "met",
        "office",
    )


def test_priority_change_can_breach_retroactively() -> None:
    """What the engine does (documented here, arguable): a running clock takes the new, shorter
    target with all its elapsed time, so it can be breached at once, and `breached_at` is the
    instant the elapsed time passed the *new* target, which may lie before the change."""
    t = run(retargeted(with_reply=False), msk("10-05", "11:05"))
    fr, sw = t.clocks["first_response"], t.clocks["start_work"]
    assert (fr.target_seconds, fr.elapsed_seconds, fr.state) == (1800, 3900, "breached")
    assert fr.breached_at == z("2026-10-05T07:30")  # 10:30 MSK, when the ticket was still normal
    assert (sw.target_seconds, sw.elapsed_seconds, sw.state) == (3600, 3900, "breached")
    assert sw.breached_at == z("2026-10-05T08:00")  # 11:00 MSK, the instant of the change
    # one second before the change the same ticket was fine
    early = run(retargeted(with_reply=False)[:1], msk("10-05", "10:59:59")).clocks["first_response"]
    assert (early.state, early.target_seconds) == ("running", 7200)


def test_priority_fixed_after_resolution_does_not_rejudge_stopped_clocks() -> None:
    """A reviewer raising the priority of a resolved ticket: every stopped clock, the resolution
    clock included, keeps the target in force when it stopped."""
    events = [
        new(msk("10-05", "09:00")),
        reply(msk("10-05", "09:10")),
        move("start", msk("10-05", "09:20"), "new", "in_progress"),
        move("resolve", msk("10-05", "15:00"), "in_progress", "resolved"),
        ev("edit", msk("10-06", "10:00"), priority=("normal", "critical")),
    ]
    t = run(events, msk("10-06", "12:00"))
    assert t.attrs["priority"] == "critical"
    assert {
        m: (c.target_seconds, c.elapsed_seconds, c.state, c.calendar) for m, c in t.clocks.items()
    } == {
        "first_response": (7200, 600, "met", "office"),
        "start_work": (14400, 1200, "met", "office"),
        "resolution": (57600, 18000, "met", "office"),  # not 4h in 24x7 (would be breached)
    }


def test_priority_lowered_gives_the_longer_target() -> None:
    events = [
        new(msk("10-05", "10:00"), priority="critical"),
        ev("edit", msk("10-05", "10:20"), priority=("critical", "normal")),
    ]
    fr = run(events, msk("10-05", "11:00")).clocks["first_response"]
    # 20 min in 24x7, then 40 min in the office calendar; target now 2h
    assert (fr.target_seconds, fr.elapsed_seconds, fr.state, fr.due) == (
        7200,
        3600,
        "running",
        z("2026-10-05T09:00"),
    )


# -- states, no target, open past due ----------------------------------------------------------
def test_metric_without_target_has_state_none() -> None:
    policy = fixed(3600, OFFICE)  # only resolution has a target
    t = run([new(msk("10-05", "09:00"))], msk("10-05", "12:00"), policy)
    assert (t.clocks["first_response"].state, t.clocks["first_response"].due) == ("none", None)
    assert t.clocks["resolution"].state == "breached"


def test_open_ticket_past_due_is_breached_now_not_at_closing() -> None:
    events = [new(msk("10-05", "09:00"), priority="critical")]
    t = run(events, msk("10-05", "09:31"))
    fr = t.clocks["first_response"]
    assert (fr.state, fr.elapsed_seconds, fr.breached_at, fr.stopped) == (
        "breached",
        1860,
        z("2026-10-05T06:30"),
        None,
    )
    assert t.clocks["start_work"].state == "running"


def test_event_backdated_before_creation_does_not_start_clocks() -> None:
    """An internal note logged with `--at` before the ticket was filed: every clock still starts
    at creation. (A reply before creation is not taken as the first response either.)"""
    events = [note(msk("10-05", "09:00")), reply(msk("10-05", "09:30")), new(msk("10-05", "10:00"))]
    t = run(events, msk("10-05", "10:30"))
    assert t.created == msk("10-05", "10:00")
    assert {m: (c.elapsed_seconds, c.state, c.started) for m, c in t.clocks.items()} == {
        m: (1800, "running", msk("10-05", "10:00"))
        for m in ("first_response", "start_work", "resolution")
    }


def test_events_after_now_are_ignored() -> None:
    events = [new(msk("10-05", "09:00")), reply(msk("10-05", "10:00"))]
    fr = run(events, msk("10-05", "09:50")).clocks["first_response"]
    assert (fr.state, fr.elapsed_seconds, fr.stopped) == ("running", 3000, None)
    assert run(events, msk("10-05", "08:00")).clocks == {}  # not created yet


# -- status ordering and compliance (pure) -----------------------------------------------------
def test_open_clocks_order_filters() -> None:
    now = msk("10-05", "12:00")
    tickets = [
        run([new(msk("10-05", "11:50"), ticket="SUP-1", customer="globex")], now),  # fresh
        run(
            [new(msk("10-05", "09:00"), "critical", ticket="SUP-2")], now
        ),  # critical: all breached
        run(
            [new(msk("10-05", "10:15"), ticket="SUP-3")], now
        ),  # first_response 1h45 of 2h: at risk
        run(
            [
                new(msk("10-05", "09:00"), ticket="SUP-4"),
                move("resolve", msk("10-05", "09:30"), "new", "resolved", ticket="SUP-4"),
            ],
            now,
        ),  # not open
    ]
    rows = open_clocks(tickets, now)
    order = [(t.ticket, c.metric, c.state, c.due) for t, c, _ in rows]
    assert order == [
        (
            "SUP-2",
            "first_response",
            "breached",
            z("2026-10-05T06:30"),
        ),  # breached first, most overdue
        ("SUP-2", "start_work", "breached", z("2026-10-05T07:00")),
        ("SUP-3", "first_response", "running", z("2026-10-05T09:15")),  # 12:15 MSK
        ("SUP-2", "resolution", "running", z("2026-10-05T10:00")),  # 13:00 MSK (24x7)
        ("SUP-1", "first_response", "running", z("2026-10-05T11:50")),  # 14:50 MSK, after lunch
        ("SUP-3", "start_work", "running", z("2026-10-05T12:15")),
        ("SUP-1", "start_work", "running", z("2026-10-05T13:50")),
        ("SUP-3", "resolution", "running", z("2026-10-07T07:15")),  # Wed 10:15 MSK
        ("SUP-1", "resolution", "running", z("2026-10-07T08:50")),
    ]
    assert rows[2][2] == 7200 - 6300  # business seconds left
    # at risk: running, at or past the warning share, not yet breached (SUP-2's breached clocks
    # are not at risk, they are breached); SUP-2 resolution: 3h of 4h is 75%, not at risk
    at_risk = open_clocks(tickets, now, at_risk=True)
    assert [(t.ticket, c.metric) for t, c, _ in at_risk] == [("SUP-3", "first_response")]
    assert [(t.ticket, c.metric) for t, c, _ in open_clocks(tickets, now, breached=True)] == [
        ("SUP-2", "first_response"),
        ("SUP-2", "start_work"),
    ]
    assert [
        (t.ticket, c.metric) for t, c, _ in open_clocks(tickets, now, at_risk=True, breached=True)
    ] == [("SUP-2", "first_response"), ("SUP-2", "start_work"), ("SUP-3", "first_response")]
    assert {t.ticket for t, _, _ in open_clocks(tickets, now, customer="globex")} == {"SUP-1"}


def test_compliance_counts_each_clock_once_in_its_period() -> None:
    oct_, nov = (
        (msk("10-01", "00:00"), msk("11-01", "00:00")),
        (msk("11-01", "00:00"), msk("12-01", "00:00")),
    )
    now = msk("11-10", "12:00")
    tickets = [
        # created in September, breached first_response on Oct 1 10:00 MSK, replied in November
        run(
            [
                new(datetime(2026, 9, 30, 17, tzinfo=MSK)),
                reply(msk("11-02", "10:00")),
                move("resolve", msk("11-02", "11:00"), "new", "resolved"),
            ],
            now,
        ),
        # all met in October
        run(
            [
                new(msk("10-20", "10:00"), ticket="SUP-2"),
                reply(msk("10-20", "10:10"), "SUP-2"),
                move("start", msk("10-20", "10:20"), "new", "in_progress", "SUP-2"),
                move("resolve", msk("10-20", "11:00"), "in_progress", "resolved", "SUP-2"),
            ],
            now,
        ),
        # open since Oct 30 17:00: first_response breached on Nov 2 (Mon) 10:00, the rest runs on
        run([new(msk("10-30", "17:00"), ticket="SUP-3")], now),
    ]
    one = tickets[0].clocks
    assert (one["first_response"].breached_at, one["start_work"].breached_at) == (
        z("2026-10-01T07:00"),
        z("2026-10-01T09:00"),
    )
    assert counts_in(one["first_response"], *oct_) == "breached"
    assert counts_in(one["first_response"], *nov) is None
    c = compliance(tickets, *oct_)
    assert {m: (v.met, v.breached, v.percent) for m, v in c.metrics.items()} == {
        "first_response": (1, 1, 50.0),
        "start_work": (1, 1, 50.0),
        "resolution": (1, 1, 50.0),
    }
    assert (c.overall.met, c.overall.breached, c.overall.percent) == (3, 3, 50.0)
    assert [(b.ticket, b.metric, b.state) for b in c.breaches] == [
        ("SUP-1", "first_response", "stopped"),
        ("SUP-1", "start_work", "stopped"),
        ("SUP-1", "resolution", "stopped"),
    ]
    c = compliance(tickets, *nov)
    # SUP-1's clocks stopped in November but count where they breached (October); SUP-3 is
    # open and its three clocks breached in November
    assert one["resolution"].breached_at == z("2026-10-02T14:00")  # Fri 17:00 MSK
    assert {m: (v.met, v.breached) for m, v in c.metrics.items()} == {
        "first_response": (0, 1),
        "start_work": (0, 1),
        "resolution": (0, 1),
    }
    assert [(b.ticket, b.metric, b.state) for b in c.breaches] == [
        ("SUP-3", "first_response", "running"),
        ("SUP-3", "start_work", "running"),
        ("SUP-3", "resolution", "running"),
    ]
    assert c.breaches[2].breached_at == z("2026-11-03T14:00")
    assert c.breaches[0].breached_at == z("2026-11-02T07:00")
    assert compliance([], *oct_).overall.percent is None


# -- the period of a breach: the first instant past the target ---------------------------------
UTC85 = calendar_from_config("utc85", {"timezone": "UTC", "hours": {"mon-fri": "09:00-17:00"}})


def test_breach_used_up_at_a_closing_time_counts_where_business_time_resumes() -> None:
    """8h from Thu 2021-12-30 17:00Z are used up at Fri 17:00, a closing instant; the clock is
    met until Mon 09:00, so the breach is January's, not December's, and not lost to both."""

    def policy(attrs, metric):
        return Target(8 * H if metric == "first_response" else None, UTC85, 0.8, "r")

    events = [new(z("2021-12-30T17:00"))]
    dec, jan = (
        (z("2021-12-01T00:00"), z("2022-01-01T00:00")),
        (z("2022-01-01T00:00"), z("2022-02-01T00:00")),
    )
    at_new_year = run(events, dec[1], policy).clocks["first_response"]
    assert (at_new_year.state, at_new_year.elapsed_seconds, at_new_year.due) == (
        "running",
        8 * H,
        z("2021-12-31T17:00"),
    )
    assert counts_in(at_new_year, *dec) is None  # not breached by the end of December
    assert run(events, z("2022-01-03T09:00"), policy).clocks["first_response"].state == "running"
    fr = run(events, jan[1], policy).clocks["first_response"]
    assert (fr.state, fr.due, fr.breached_at, fr.breached_from) == (
        "breached",
        z("2021-12-31T17:00"),
        z("2021-12-31T17:00"),
        z("2022-01-03T09:00"),
    )
    assert (counts_in(fr, *dec), counts_in(fr, *jan)) == (None, "breached")
    assert compliance([run(events, jan[1], policy)], *jan).metrics["first_response"].breached == 1


def test_breach_inside_opening_hours_counts_at_its_due() -> None:
    fr = run([new(msk("10-05", "09:00"))], msk("10-05", "12:00")).clocks["first_response"]
    assert (fr.state, fr.breached_at, fr.breached_from) == (
        "breached",
        z("2026-10-05T08:00"),
        z("2026-10-05T08:00"),
    )


def test_breach_used_up_at_a_wait_counts_where_the_clock_resumes() -> None:
    """The resolution clock uses up its 16h exactly when the ticket goes waiting on Friday
    2026-10-30 18:00; the customer answers in November: the breach is November's."""
    events = [
        new(msk("10-29", "09:00")),
        move("wait", msk("10-30", "18:00"), "new", "waiting"),
        move("start", msk("11-02", "12:00"), "waiting", "in_progress"),
    ]
    waiting = run(events[:2], msk("10-31", "12:00")).clocks["resolution"]
    assert (waiting.state, waiting.elapsed_seconds) == ("paused", 16 * H)
    res = run(events, msk("11-02", "12:30")).clocks["resolution"]
    assert (res.state, res.breached_at, res.breached_from) == (
        "breached",
        z("2026-10-30T15:00"),
        z("2026-11-02T09:00"),
    )
    oct_, nov = (
        (msk("10-01", "00:00"), msk("11-01", "00:00")),
        (msk("11-01", "00:00"), msk("12-01", "00:00")),
    )
    assert (counts_in(res, *oct_), counts_in(res, *nov)) == (None, "breached")


def test_breach_across_a_rule_change_resumes_in_the_new_rules_calendar() -> None:
    """Used up at Friday's closing in the office calendar; raised to critical (24x7) on Saturday
    with a longer-than-used target elsewhere: business time resumes at the change, in 24x7."""
    cal = {"normal": OFFICE, "critical": CALENDAR_24X7}

    def policy(attrs, metric):
        return Target(2 * H, cal[str(attrs.get("priority"))], 0.8, "r")

    events = [
        new(msk("10-09", "16:00")),
        ev("edit", msk("10-10", "12:00"), priority=("normal", "critical")),
    ]
    fr = run(events, msk("10-10", "12:30"), policy).clocks["first_response"]
    assert (fr.state, fr.elapsed_seconds) == ("breached", 2 * H + 1800)
    assert (fr.breached_at, fr.breached_from) == (z("2026-10-09T15:00"), z("2026-10-10T09:00"))


# -- the due of a clock the counted spans did not use up ---------------------------------------
NIGHT = calendar_from_config("night", {"timezone": "UTC", "hours": {"mon-sun": "00:00-06:00"}})


def lines_plan(attrs: dict[str, str | None], metric: str) -> Target:
    if attrs.get("line") == "L2":
        return Target(2 * H if metric == "start_work" else None, NIGHT, 0.8, "rule 1")
    return Target(H // 2 if metric == "start_work" else None, UTC85, 0.8, "rule 2")


def test_due_of_a_stopped_clock_uses_the_calendar_of_its_target() -> None:
    monday = z("2026-03-02T20:00")
    events = [
        new(monday),
        move("start", z("2026-03-02T21:00"), "new", "in_progress"),
        ev("escalate", z("2026-03-02T21:00"), line=("L1", "L2")),
    ]
    sw = run(events, z("2026-03-04T00:00"), lines_plan).clocks["start_work"]
    assert (sw.state, sw.target_seconds, sw.rule, sw.calendar) == ("met", 1800, "rule 2", "utc85")
    assert sw.due == z("2026-03-03T09:30")  # 30m of utc85 from the stop, not of night (00:30)


def test_due_without_any_counting_span_is_in_business_time() -> None:
    """`new` and `wait` in one second: no span counted, the due is still the target's calendar's."""
    events = [new(z("2026-03-02T20:00")), move("wait", z("2026-03-02T20:00"), "new", "waiting")]
    t = run(events, z("2026-03-04T00:00"), lines_plan)
    sw = t.clocks["start_work"]
    assert (sw.state, sw.elapsed_seconds, sw.due) == ("met", 0, z("2026-03-03T09:30"))
    assert t.clocks["resolution"].state == "none"
