"""The `alerts:` section: routes, matchers and every mistake with its line and a hint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from supportctl.config.settings import (
    DEFAULT_ALERT_PRIORITIES,
    AlertSettings,
    parse_config,
    parse_matcher,
)
from supportctl.domain.errors import ConfigError
from tests.alerttexts import ALERT_CONFIG
from tests.helpers import CONFIG, git

PATH = Path("/desk/supportctl.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text.encode(), PATH)
    return caught.value.message.splitlines()


def line_of(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


def test_no_section_gives_the_defaults() -> None:
    settings = parse_config(CONFIG.encode(), PATH).alerts
    assert settings == AlertSettings()
    assert settings.route_for({"customer": "acme"}) is None
    assert (settings.reopen_minutes, settings.auto_resolve) == (60, True)
    assert settings.max_body_bytes == 1024 * 1024


def test_routes_first_match_wins() -> None:
    settings = parse_config(ALERT_CONFIG.encode(), PATH).alerts
    first = settings.route_for({"customer": "acme", "team": "globex"})
    assert first is not None
    assert (first.number, first.customer, first.line) == (
        1,
        "acme",
        line_of(ALERT_CONFIG, "- matchers: ['customer"),
    )
    second = settings.route_for({"team": "globex-ops", "env": "prod"})
    assert second is not None
    assert (second.customer, second.service, second.auto_resolve) == ("globex", "portal", False)
    assert settings.route_for({"team": "globex-ops", "env": "test"}) is None
    third = settings.route_for({"tenant": "globex"})
    assert third is not None
    assert third.customer_label == "tenant"
    assert first.priority_for("CRITICAL") == "critical"
    assert first.priority_for("page") == "low"
    assert second.priority_for("warning") == DEFAULT_ALERT_PRIORITIES["warning"]


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ('severity="critical"', {"severity": "critical"}, True),
        ("severity=critical", {"severity": "critical"}, True),
        ('severity!="critical"', {"severity": "critical"}, False),
        ('severity!="critical"', {}, True),
        ('instance=~"shop-.*"', {"instance": "shop-1"}, True),
        ('instance=~"shop"', {"instance": "shop-1"}, False),  # the whole value, as Alertmanager
        ('team!~"ops|dev"', {"team": "dev"}, False),
        ('team!~"ops|dev"', {"team": "qa"}, True),
        ('env=""', {}, True),
        (r'msg="say \"hi\""', {"msg": 'say "hi"'}, True),
    ],
)
def test_matchers_read_as_alertmanager_does(
    text: str, labels: dict[str, str], expected: bool
) -> None:
    assert parse_matcher(text).matches(labels) is expected


def test_every_mistake_has_its_line_and_a_hint() -> None:
    text = (
        CONFIG
        + """\
alerts:
  token_env: my secret token
  reopen_minute: 30
  max_body_bytes: lots
  routes:
    - matchers: ['severity=~"crit(ical"']
      customer: acmee
    - matchers: ['team=ops']
      priority: {critical: P1, warning: normal}
    - matchers: ['not a matcher']
      customer: globex
      sevice: shop
    - customer: acme
      customer_label: tenant
"""
    )
    got = problems(text)
    assert got == [
        f"supportctl.yaml:{line_of(text, 'token_env')}: alerts: `token_env` names an "
        "environment variable (like SUPPORTCTL_ALERT_TOKEN), not the token itself",
        f"supportctl.yaml:{line_of(text, 'reopen_minute')}: unknown key 'reopen_minute' in "
        "`alerts` (did you mean 'reopen_minutes'?)",
        f"supportctl.yaml:{line_of(text, 'max_body_bytes')}: alerts: `max_body_bytes` must be a "
        "size like 10MiB, got 'lots'",
        f"supportctl.yaml:{line_of(text, 'crit(ical')}: alerts: route 1: bad regex in matcher "
        "'severity=~\"crit(ical\"': missing ), unterminated subpattern at position 4",
        f"supportctl.yaml:{line_of(text, 'acmee')}: alerts: route 1: unknown customer 'acmee' "
        "(did you mean 'acme'?)",
        f"supportctl.yaml:{line_of(text, 'team=ops')}: alerts: route 2: missing `customer` (a "
        "customer key, or `customer_label`: the label whose value is the customer key)",
        f"supportctl.yaml:{line_of(text, 'P1')}: alerts: route 2: severity 'critical': unknown "
        "priority 'P1' (known: critical, high, normal, low)",
        f"supportctl.yaml:{line_of(text, 'not a matcher')}: alerts: route 3: bad matcher 'not a "
        'matcher\': expected label="value" (or !=, =~, !~ and a regex)',
        f"supportctl.yaml:{line_of(text, 'sevice')}: unknown key 'sevice' in alerts route 3 "
        "(did you mean 'service'?)",
        f"supportctl.yaml:{line_of(text, 'customer_label: tenant')}: alerts: route 4: give "
        "`customer` or `customer_label`, not both",
    ]


def test_validate_reports_a_route_mistake(support_repo: Path, cli: Any) -> None:
    text = ALERT_CONFIG.replace("customer: globex", "customer: globexx")
    (support_repo / "supportctl.yaml").write_text(text, encoding="utf-8")
    git(support_repo, "commit", "-qm", "Edit configuration", "supportctl.yaml")
    r = cli("validate")
    assert r.exit_code == 9
    assert r.stdout == (
        f"supportctl.yaml:{line_of(text, 'globexx')}: alerts: route 2: unknown customer "
        "'globexx' (did you mean 'globex'?)\n"
    )


def test_a_route_without_matchers_takes_every_alert() -> None:
    text = ALERT_CONFIG + "    - customer: globex\n"
    settings = parse_config(text.encode(), PATH).alerts
    last = settings.route_for({"alertname": "Anything"})
    assert last is not None
    assert (last.number, last.customer, last.describe()) == (4, "globex", "any alert")
