"""The `availability` section of plans and customers and the availability credits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from supportctl.config.settings import AvailabilityTerms, parse_config
from supportctl.domain.errors import ConfigError
from tests.helpers import CONFIG, git

PLAN_AT = "    warn_at: 80%\n"
ACME_AT = "    credits: {per_breach: 2%, cap: 15%}\n"


def parse(text: str) -> object:
    return parse_config(text.encode(), Path("supportctl.yaml"))


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    return caught.value.message.splitlines()


def line_of(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


def test_the_short_form_on_a_plan_and_the_customer_wins_per_service() -> None:
    text = CONFIG.replace(PLAN_AT, PLAN_AT + "    availability: {shop: 99.9, api: 99.5}\n").replace(
        ACME_AT,
        "    credits: {per_breach: 2%, cap: 15%, per_availability_breach: 5}\n"
        "    availability: {api: '99.95%', db: 99}\n",
    )
    config = parse(text)
    assert config.availability("acme") == AvailabilityTerms(  # type: ignore[attr-defined]
        {"shop": 99.9, "api": 99.95, "db": 99.0}, "24x7", ("critical",)
    )
    assert config.availability("globex") == AvailabilityTerms(  # type: ignore[attr-defined]
        {"shop": 99.9, "api": 99.5}, "24x7", ("critical",)
    )
    acme = config.customers["acme"]  # type: ignore[attr-defined]
    assert acme.credit_per_availability_breach == 0.05
    assert acme.credit_cap == 0.15


def test_the_long_form_names_calendar_and_severities_and_steps() -> None:
    text = CONFIG.replace(
        ACME_AT,
        "    credits:\n"
        "      cap: 20%\n"
        "      availability_steps:\n"
        "        - {below: 99.0, percent: 10}\n"
        "        - {below: 99.9, percent: 5%}\n"
        "    availability:\n"
        "      calendar: office\n"
        "      severities: [critical, High]\n"
        "      services: {shop: 99.9}\n",
    )
    config = parse(text)
    assert config.availability("acme") == AvailabilityTerms(  # type: ignore[attr-defined]
        {"shop": 99.9}, "office", ("critical", "high")
    )
    assert config.customers["acme"].availability_steps == ((99.0, 0.10), (99.9, 0.05))  # type: ignore[attr-defined]
    assert config.availability("globex") is None  # type: ignore[attr-defined]


def test_typos_and_bad_targets_name_the_line_and_a_hint() -> None:
    text = CONFIG.replace(
        ACME_AT,
        "    credits: {per_breach: 2%, per_availabilty_breach: 5}\n"
        "    availability:\n"
        "      calender: office\n"
        "      services: {shop: 100.5, api: 0, Bad Name: 99, web: fast}\n",
    ).replace(PLAN_AT, PLAN_AT + "    availability: {shop: 99.9, servics: {api: 99}}\n")
    found = problems(text)
    credits, cal, services, plan = (
        line_of(text, "per_availabilty_breach"),
        line_of(text, "calender:"),
        line_of(text, "services: {shop: 100.5"),
        line_of(text, "servics:"),
    )
    assert found == [
        f"supportctl.yaml:{plan}: unknown key 'servics' in plan standard "
        "(did you mean 'services'?)",
        f"supportctl.yaml:{credits}: unknown key 'per_availabilty_breach' in the credits of "
        "customer 'acme' (did you mean 'per_availability_breach'?)",
        f"supportctl.yaml:{cal}: unknown key 'calender' in the availability of customer acme "
        "(did you mean 'calendar'?)",
        f"supportctl.yaml:{services}: customer acme: availability target of shop must be a "
        "percent above 0 and at most 100, got 100.5",
        f"supportctl.yaml:{services}: customer acme: availability target of api must be a "
        "percent above 0 and at most 100, got 0",
        f"supportctl.yaml:{services}: customer acme: service 'Bad Name': use lowercase "
        "letters, digits and . _ -",
        f"supportctl.yaml:{services}: customer acme: availability target of web must be a "
        "percent above 0 and at most 100, got 'fast'",
    ]


def test_a_calendar_that_does_not_exist_is_refused() -> None:
    text = CONFIG.replace(
        ACME_AT, ACME_AT + "    availability: {calendar: ofice, services: {shop: 99.9}}\n"
    )
    assert problems(text) == [
        f"supportctl.yaml:{line_of(text, 'calendar: ofice')}: customer acme: availability: "
        "unknown calendar 'ofice' (known: 24x7, office)"
    ]


def test_steps_and_a_flat_credit_together_or_malformed_steps_are_refused() -> None:
    both = CONFIG.replace(
        ACME_AT,
        "    credits:\n"
        "      per_availability_breach: 5\n"
        "      availability_steps: [{below: 99.9, percent: 5}]\n",
    )
    assert problems(both) == [
        f"supportctl.yaml:{line_of(both, 'availability_steps')}: customer acme: give "
        "`per_availability_breach` or `availability_steps`, not both"
    ]
    bad = CONFIG.replace(
        ACME_AT,
        "    credits:\n      availability_steps:\n        - {below: 99.9, precent: 5}\n"
        "        - {below: 99.9}\n",
    )
    at = line_of(bad, "precent")
    assert problems(bad) == [
        f"supportctl.yaml:{at}: unknown key 'precent' in an availability step of customer "
        "'acme' (did you mean 'percent'?)",
        f"supportctl.yaml:{at}: customer acme: availability step without `percent`",
        f"supportctl.yaml:{at + 1}: customer acme: availability step without `percent`",
    ]


def test_severities_must_be_names() -> None:
    text = CONFIG.replace(
        ACME_AT, ACME_AT + "    availability: {severities: [], services: {shop: 99.9}}\n"
    )
    assert problems(text) == [
        f"supportctl.yaml:{line_of(text, 'severities')}: customer acme: availability "
        "`severities` must be a list of alert severities, e.g. [critical]"
    ]


def test_validate_reports_availability_mistakes(support_repo: Path, cli: Any) -> None:
    text = CONFIG.replace(ACME_AT, ACME_AT + "    availability: {shop: 99.9, api: 199}\n")
    (support_repo / "supportctl.yaml").write_text(text, encoding="utf-8")
    git(support_repo, "commit", "-qm", "Targets", "supportctl.yaml")
    r = cli("validate")
    assert r.exit_code == 9
    assert r.stdout == (
        f"supportctl.yaml:{line_of(text, 'api: 199')}: customer acme: availability target "
        "of api must be a percent above 0 and at most 100, got 199\n"
    )
    r = cli("sla", "availability", "--month", "2026-11")
    assert r.exit_code == 4
