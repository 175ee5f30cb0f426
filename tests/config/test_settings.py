"""supportctl.yaml: every mistake (typos included) reported at once, with line and a hint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from supportctl.config.settings import Agent, Config, Customer, parse_config
from supportctl.domain.errors import ConfigError
from tests.helpers import CONFIG, git


def commit_config(root: Path, text: str) -> None:
    (root / "supportctl.yaml").write_text(text, encoding="utf-8")
    git(root, "commit", "-qm", "Edit configuration", "supportctl.yaml")


def line_of(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


def test_calendar_typo_in_a_plan_is_refused_not_read_as_24x7(support_repo: Path, cli: Any) -> None:
    text = CONFIG.replace("    calendar: office\n", "    calender: office\n", 1)
    commit_config(support_repo, text)
    line = line_of(text, "calender:")
    expected = (
        f"supportctl.yaml:{line}: unknown key 'calender' in plan 'standard' "
        "(did you mean 'calendar'?)"
    )
    r = cli("validate")
    assert r.exit_code == 9
    assert r.stdout == expected + "\n"
    # the figures are not computed on a 24x7 fallback: the command refuses
    for command in (["sla", "check", "--month", "2026-10"], ["report", "--month", "2026-10"]):
        r = cli(*command)
        assert r.exit_code == 4, (command, r.output)
        assert r.stdout == ""
        assert r.stderr == f"supportctl: error: {expected}\n"


def test_package_typo_is_refused_not_billed_as_overage(support_repo: Path, cli: Any) -> None:
    text = CONFIG.replace("    package: {hours: 10", "    packge: {hours: 10", 1)
    commit_config(support_repo, text)
    line = line_of(text, "packge:")
    expected = (
        f"supportctl.yaml:{line}: unknown key 'packge' in customer 'acme' (did you mean 'package'?)"
    )
    r = cli("report", "--month", "2026-10", "--format", "json")
    assert r.exit_code == 4
    assert r.stdout == ""
    assert r.stderr == f"supportctl: error: {expected}\n"
    r = cli("validate")
    assert (r.exit_code, r.stdout) == (9, expected + "\n")


def test_every_mistake_is_reported_in_one_run(support_repo: Path, cli: Any) -> None:
    text = (
        CONFIG.replace("timezone: Europe/Moscow\n", "timezon: Europe/Moscow\n", 1)
        .replace("    country: RU\n", "    country: RU\n    holiday: [2026-12-31]\n", 1)
        .replace("    calendar: office\n", "    calender: office\n", 1)
        .replace("    warn_at: 80%", "    warn_at: lots", 1)
        .replace("      - when: {priority: critical}", "      - when: {priorty: critical}", 1)
        .replace("        start_work: 4h", "        start_work: soon", 1)
        .replace("rollover: false", "rollover: no", 1)
        .replace("credits: {per_breach: 2%", "credits: {per_breech: 2%", 1)
        .replace("    plan: standard\nagents", "    plan: standard\n    colour: red\nagents", 1)
        .replace("boris@support.example, line: L2", "boris@support.example, lien: L2", 1)
    )
    commit_config(support_repo, text)

    def at(needle):
        return line_of(text, needle)

    expected = [
        (
            f"supportctl.yaml:{at('timezon:')}: unknown key 'timezon' at the top level "
            "(did you mean 'timezone'?)"
        ),
        (
            f"supportctl.yaml:{at('holiday:')}: unknown key 'holiday' in calendar 'office' "
            "(did you mean 'holidays'?)"
        ),
        (
            f"supportctl.yaml:{at('calender:')}: unknown key 'calender' in plan 'standard' "
            "(did you mean 'calendar'?)"
        ),
        f"supportctl.yaml:{at('warn_at:')}: `warn_at` must be a percentage like 80%, got 'lots'",
        (
            f"supportctl.yaml:{at('priorty')}: unknown key 'priorty' in `when` of rule 1 of plan "
            "'standard' (did you mean 'priority'?)"
        ),
        (
            f"supportctl.yaml:{at('start_work: soon')}: bad start_work 'soon': expected "
            "e.g. 15m, 4h, 1h30m, 2d"
        ),
        (
            f"supportctl.yaml:{at('rollover: no')}: customer acme: `rollover` must be true or false, "
            "got 'no'"
        ),
        (
            f"supportctl.yaml:{at('per_breech')}: unknown key 'per_breech' in the credits of customer "
            "'acme' (did you mean 'per_breach'?)"
        ),
        (
            f"supportctl.yaml:{at('colour:')}: unknown key 'colour' in customer 'globex' "
            "(expected one of name, plan, package, rate, currency, credits, fee, contacts, domains, language, "
            "availability)"
        ),
        (
            f"supportctl.yaml:{at('lien:')}: unknown key 'lien' in agent 'boris' "
            "(did you mean 'line'?)"
        ),
    ]
    r = cli("validate")
    assert r.exit_code == 9
    assert r.stdout.splitlines() == expected
    assert r.stderr == f"supportctl: error: {len(expected)} problem(s) found\n"
    # any other command refuses with all of them, one line each
    r = cli("list")
    assert r.exit_code == 4
    assert r.stdout == ""
    assert r.stderr.splitlines() == [f"supportctl: error: {e}" for e in expected]


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            "lines: [L1, L2, L3, L4]",
            "lines: L1",
            "lines:",
            "`lines` must be a non-empty list of distinct names, e.g. [L1, L2, L3]",
        ),
        (
            "    rate: 2500",
            "    rate: lots",
            "rate:",
            "customer acme: `rate` must be a number, got 'lots'",
        ),
        (
            "    plan: standard\n    package",
            "    plan: gold\n    package",
            "plan: gold",
            "customer acme: unknown plan 'gold' (known: standard)",
        ),
        (
            "      - when: {priority: critical}",
            "      - when: {priority: urgent}",
            "urgent",
            "plan standard: unknown priority 'urgent' (expected one of critical, high, normal, low)",
        ),
        (
            "      - when: {priority: critical}",
            "      - when: {line: L9}",
            "L9",
            "plan standard: unknown line 'L9' (expected one of L1, L2, L3, L4)",
        ),
        (
            "        calendar: 24x7",
            "        calendar: night",
            "calendar: night",
            "plan standard: unknown calendar 'night' (known: 24x7, office)",
        ),
        (
            "  anna: {name: Anna Smirnova, email: anna@support.example, line: L1}",
            "  anna: {name: Anna Smirnova, email: anna@support.example, line: L7}",
            "L7",
            "agent anna: unknown line 'L7' (expected one of L1, L2, L3, L4)",
        ),
        (
            "    package: {hours: 10, rollover: false}",
            "    package: 10",
            "package: 10",
            "customer acme: `package` must be a mapping, got 10",
        ),
        # not a number an invoice can be computed with
        (
            "    rate: 2500",
            "    rate: .nan",
            "rate:",
            "customer acme: `rate` must be a number, got nan",
        ),
        (
            "{hours: 10,",
            "{hours: .inf,",
            "hours: .inf",
            "customer acme: `hours` must be a number, got inf",
        ),
        # a share past 100% is a mistake, not silently read as a hundredth of itself (1.5%)
        (
            "cap: 15%}",
            "cap: 150%}",
            "cap: 150%",
            "customer acme: `cap` must be between 0% and 100%",
        ),
        (
            "    warn_at: 80%",
            "    warn_at: 800%",
            "warn_at:",
            "`warn_at` must be between 0% and 100%",
        ),
    ],
)
def test_bad_values_name_line_and_what_was_expected(
    old: str, new: str, needle: str, message: str
) -> None:
    text = CONFIG.replace(old, new, 1)
    assert text != CONFIG
    with pytest.raises(ConfigError) as caught:
        parse_config(text.encode(), Path("supportctl.yaml"))
    assert caught.value.message == f"supportctl.yaml:{line_of(text, needle)}: {message}"


def test_calendar_mistakes_are_listed_with_the_others() -> None:
    text = CONFIG.replace(
        '      mon-fri: "09:00-13:00, 14:00-18:00"', '      mon-fri: "09:00-25:00"', 1
    ).replace("    rate: 2500", "    rate: lots", 1)
    with pytest.raises(ConfigError) as caught:
        parse_config(text.encode(), Path("supportctl.yaml"), deep=True)
    lines = caught.value.message.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"supportctl.yaml:{line_of(text, '09:00-25:00')}: calendar office: ")
    assert lines[1] == (
        f"supportctl.yaml:{line_of(text, 'rate:')}: customer acme: `rate` must be "
        "a number, got 'lots'"
    )


def test_every_command_refuses_a_calendar_mistake_with_the_others(
    support_repo: Path, cli: Any
) -> None:
    text = CONFIG.replace(
        '      mon-fri: "09:00-13:00, 14:00-18:00"', '      mon-fri: "09:00-25:00"', 1
    ).replace("    rate: 2500", "    rate: lots", 1)
    commit_config(support_repo, text)
    r = cli("list")
    assert r.exit_code == 4
    assert [ln.split(": ", 3)[2] for ln in r.stderr.splitlines()] == [
        f"supportctl.yaml:{line_of(text, '09:00-25:00')}",
        f"supportctl.yaml:{line_of(text, 'rate:')}",
    ]


def test_a_zero_backdate_tolerance_is_kept() -> None:
    text = CONFIG + "backdate_tolerance: 0\n"
    assert parse_config(text.encode(), Path("supportctl.yaml")).backdate_tolerance == 0
    assert parse_config(CONFIG.encode(), Path("supportctl.yaml")).backdate_tolerance == 600


def test_the_shipped_examples_are_valid() -> None:
    from supportctl.ops.init import example_config

    parse_config(example_config(), Path("supportctl.yaml"), deep=True)
    root = Path(__file__).resolve().parents[2]
    parse_config((root / "supportctl.yaml").read_bytes(), Path("supportctl.yaml"), deep=True)


# -- the committed configuration -------------------------------------------------------------
LVIVSOFT = """\
  lvivsoft:
    name: LvivSoft
    plan: standard
"""
UNCOMMITTED = (
    "supportctl: supportctl.yaml has uncommitted changes, which are not used until "
    "they are committed: git commit supportctl.yaml -m '...'"
)


def status(root: Path) -> tuple[str, str]:
    return git(root, "rev-parse", "HEAD"), git(
        root, "status", "--porcelain", "--untracked-files=all"
    )


def test_new_refuses_a_customer_only_in_the_uncommitted_config(
    support_repo: Path, cli: Any
) -> None:
    config = support_repo / "supportctl.yaml"
    config.write_text(CONFIG.replace("agents:\n", LVIVSOFT + "agents:\n", 1), encoding="utf-8")
    before = status(support_repo)
    r = cli("new", "VPN down", "-c", "lvivsoft", "-t", "incident", "-p", "normal")
    assert r.exit_code == 8
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        UNCOMMITTED,
        (
            "supportctl: error: customer 'lvivsoft' is only in the uncommitted supportctl.yaml; commit "
            "the configuration first: git commit supportctl.yaml -m 'Add customer lvivsoft'"
        ),
    ]
    assert status(support_repo) == before
    # a customer nobody knows is still just unknown
    r = cli("new", "VPN down", "-c", "initech", "-t", "incident", "-p", "normal")
    assert r.exit_code == 5
    assert r.stderr.splitlines()[-1] == (
        "supportctl: error: unknown customer 'initech' (known: acme, globex)"
    )
    git(support_repo, "commit", "-qm", "Customer lvivsoft", "supportctl.yaml")
    r = cli("new", "VPN down", "-c", "lvivsoft", "-t", "incident", "-p", "normal")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "SUP-1\n", "")


def test_agents_and_lines_only_in_the_uncommitted_config_are_refused(
    support_repo: Path, cli: Any
) -> None:
    assert cli("new", "VPN down", "-c", "acme", "-t", "incident", "-p", "normal").exit_code == 0
    config = support_repo / "supportctl.yaml"
    config.write_text(
        CONFIG.replace("lines: [L1, L2, L3, L4]", "lines: [L1, L2, L3, L4, L5]", 1)
        + "  zoya: {name: Zoya, email: zoya@support.example, line: L2}\n",
        encoding="utf-8",
    )
    before = status(support_repo)
    r = cli("assign", "SUP-1", "zoya")
    assert r.exit_code == 8
    assert r.stderr.splitlines()[-1] == (
        "supportctl: error: agent 'zoya' is only in the uncommitted supportctl.yaml; commit the "
        "configuration first: git commit supportctl.yaml -m 'Add agent zoya'"
    )
    r = cli("escalate", "SUP-1", "--to", "L5", "-r", "vendor")
    assert r.exit_code == 8
    assert r.stderr.splitlines()[-1] == (
        "supportctl: error: line 'L5' is only in the uncommitted supportctl.yaml; commit the "
        "configuration first: git commit supportctl.yaml -m 'Add line L5'"
    )
    assert status(support_repo) == before


def test_computations_use_the_committed_config(support_repo: Path, cli: Any) -> None:
    assert cli("new", "VPN down", "-c", "acme", "-t", "incident", "-p", "normal").exit_code == 0
    (support_repo / "supportctl.yaml").write_text(
        CONFIG.replace("        resolution: 16h", "        resolution: 1h", 1), encoding="utf-8"
    )
    r = cli("sla", "show", "SUP-1", "--json", "--now", "2026-10-05T12:00:00+03:00")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["metrics"]["resolution"]["target_seconds"] == 16 * 3600
    assert r.stderr == UNCOMMITTED + "\n"  # said once
    r = cli("sla", "show", "SUP-1", "--now", "2026-10-05T12:00:00")  # desk time: zone read again
    assert (r.exit_code, r.stderr) == (0, UNCOMMITTED + "\n")
    # a broken uncommitted edit does not stop the desk either; validate (the pre-commit
    # check) reads the work tree and finds it
    (support_repo / "supportctl.yaml").write_text(
        CONFIG.replace("    calendar: office\n", "    calender: office\n", 1), encoding="utf-8"
    )
    r = cli("list")
    assert (r.exit_code, r.stderr) == (0, UNCOMMITTED + "\n")
    r = cli("validate")
    assert r.exit_code == 9
    assert "unknown key 'calender' in plan 'standard'" in r.stdout


def test_init_commits_a_configuration_written_before_it(tmp_path: Path, cli: Any) -> None:
    root = tmp_path / "desk"
    root.mkdir()
    (root / "supportctl.yaml").write_text(CONFIG, encoding="utf-8")
    r = cli("init", str(root))
    assert r.exit_code == 0, r.output
    assert git(root, "show", "HEAD:supportctl.yaml") == CONFIG
    assert git(root, "status", "--porcelain") == ""
    r = cli("--repo", str(root), "new", "VPN down", "-c", "globex", "-t", "incident", "-p", "low")
    assert (r.exit_code, r.stderr) == (0, "")


def test_init_refuses_a_broken_configuration_written_before_it(tmp_path: Path, cli: Any) -> None:
    root = tmp_path / "desk"
    root.mkdir()
    text = CONFIG.replace("    package: {hours", "    packge: {hours", 1)
    (root / "supportctl.yaml").write_text(text, encoding="utf-8")
    r = cli("init", str(root))
    assert r.exit_code == 4
    assert r.stderr == (
        f"supportctl: error: supportctl.yaml:{line_of(text, 'packge')}: unknown key "
        "'packge' in customer 'acme' (did you mean 'package'?)\n"
    )
    assert sorted(p.name for p in root.iterdir()) == ["supportctl.yaml"]


def test_a_config_never_committed_is_read_with_a_warning(tmp_path: Path, cli: Any) -> None:
    root = tmp_path / "desk"
    root.mkdir()
    git(root, "init", "-q")
    (root / "supportctl.yaml").write_text(CONFIG, encoding="utf-8")
    r = cli("--repo", str(root), "list")
    assert r.exit_code == 0
    assert r.stderr == (
        "supportctl: supportctl.yaml is not committed yet; commit it so that every clone computes "
        "with it: git add supportctl.yaml && git commit -m 'Configuration'\n"
    )


def test_validate_notes_every_ukrainian_calendar(tmp_path: Path, cli: Any) -> None:
    from supportctl.ops.init import example_config

    assert cli("init", str(tmp_path / "desk")).exit_code == 0
    text = example_config().decode()
    r = cli("--repo", str(tmp_path / "desk"), "validate")
    assert r.exit_code == 0
    assert r.stderr.splitlines() == [
        (
            f"supportctl: note: supportctl.yaml:{line_of(text, 'country: UA')}: calendar office-10x5: "
            "the holidays package has no Ukrainian public holidays from 2022 on (martial law); list "
            "the desk's days off under `holidays:`"
        ),
        "supportctl: no problems found",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "- id_prefix: SUP\n- lines: [L1]\n",
            ("supportctl.yaml:1: expected a mapping at the top level, got a list"),
        ),
        (
            "# a comment first\n\n- acme\n",
            ("supportctl.yaml:3: expected a mapping at the top level, got a list"),
        ),
        ("SUP\n", "supportctl.yaml:1: expected a mapping at the top level, got 'SUP'"),
    ],
)
def test_a_file_that_is_not_a_mapping_is_one_mistake_with_its_line(
    support_repo: Path, cli: Any, text: str, message: str
) -> None:
    commit_config(support_repo, text)
    r = cli("validate")
    assert (r.exit_code, r.stdout) == (9, message + "\n")
    r = cli("list")
    assert (r.exit_code, r.stdout, r.stderr) == (4, "", f"supportctl: error: {message}\n")


def test_rule_for_is_the_first_matching_rule_with_its_number() -> None:
    from supportctl.ops.init import example_config

    plan = parse_config(example_config(), Path("supportctl.yaml")).plans["standard"]
    found = plan.rule_for({"priority": "normal", "type": "incident"})
    assert found is not None
    number, rule = found
    assert (number, rule.describe()) == (2, "priority=high|normal")
    assert plan.rule_for({"priority": "low"}) == (3, plan.rules[2])
    assert plan.rules[2].describe() == "any ticket"


def test_the_first_matching_rule_wins_and_without_a_catch_all_none_may_match() -> None:
    from supportctl.config.settings import Plan, Rule

    critical = Rule({"priority": ("critical",)}, {"resolution": 3600}, "24x7")
    info = Rule({"type": ("information_request",), "line": ("L1",)}, {}, "24x7")
    plan = Plan("p", "24x7", 0.8, (critical, info))
    assert plan.rule_for({"priority": "critical", "type": "information_request"}) == (1, critical)
    assert plan.rule_for({"type": "information_request", "line": "L1"}) == (2, info)
    assert plan.rule_for({"type": "information_request", "line": None}) is None
    assert info.describe() == "type=information_request, line=L1"


# -- parse_config on texts: no repository, no git --------------------------------------------
def parse(text: str) -> Config:
    return parse_config(text.encode(), Path("supportctl.yaml"))


def mistakes(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    return caught.value.message.splitlines()


def test_an_empty_file_is_the_defaults() -> None:
    config = parse("")
    assert (config.id_prefix, config.lines, config.timezone, config.backdate_tolerance) == (
        "SUP",
        ("L1", "L2", "L3"),
        "UTC",
        600,  # 10m
    )
    assert (config.plans, config.customers, config.agents, config.calendar_specs) == (
        {},
        {},
        {},
        {},
    )


def test_the_plan_keeps_its_rules_in_order_with_their_targets_and_calendars() -> None:
    plan = parse(CONFIG).plans["standard"]
    assert (plan.name, plan.calendar, plan.warn_at) == ("standard", "office", 0.8)
    critical, default = plan.rules
    # 30m, 1h, 4h in seconds: 30*60, 60*60, 4*3600
    assert (critical.when, critical.targets, critical.calendar) == (
        {"priority": ("critical",)},
        {"first_response": 1800, "start_work": 3600, "resolution": 14400},
        "24x7",
    )
    # 2h, 4h, 16h: 2*3600, 4*3600, 16*3600; no `calendar:` of its own, so the plan's
    assert (default.when, default.targets, default.calendar) == (
        {},
        {"first_response": 7200, "start_work": 14400, "resolution": 57600},
        "office",
    )
    assert (critical.line, default.line) == (
        line_of(CONFIG, "- when: {priority: critical}"),
        line_of(CONFIG, "- first_response: 2h"),
    )


def test_the_first_matching_rule_wins() -> None:
    text = CONFIG.replace(
        "      - first_response: 2h\n",
        "      - when: {type: [service_request, information_request], line: L2}\n"
        "        first_response: 8h\n"
        "      - first_response: 2h\n",
        1,
    )
    plan = parse(text).plans["standard"]
    critical, request, default = plan.rules
    assert request.when == {"type": ("service_request", "information_request"), "line": ("L2",)}
    assert request.targets == {"first_response": 8 * 3600}  # a missing metric has no target
    cases = [
        ({"priority": "critical", "type": "service_request", "line": "L2"}, critical),  # first wins
        ({"priority": "normal", "type": "information_request", "line": "L2"}, request),
        (
            {"priority": "normal", "type": "service_request", "line": "L1"},
            default,
        ),  # every key must match
        ({"priority": "normal", "type": None, "line": "L2"}, default),
        ({}, default),
    ]
    found = [plan.rule_for(ticket) for ticket, _ in cases]
    assert [f[1] if f else None for f in found] == [rule for _, rule in cases]


def test_a_plan_without_a_catch_all_rule_leaves_other_tickets_without_targets() -> None:
    text = CONFIG.replace(
        "      - first_response: 2h\n        start_work: 4h\n        resolution: 16h\n", "", 1
    )
    plan = parse(text).plans["standard"]
    assert len(plan.rules) == 1
    assert plan.rule_for({"priority": "normal"}) is None


def test_customers_read_package_rate_and_credits_with_defaults() -> None:
    credits = "    credits: {per_breach: 2%, cap: 15%}\n"
    config = parse(CONFIG.replace(credits, credits + "    fee: 120000\n", 1))
    acme, globex = config.customers["acme"], config.customers["globex"]
    # 2% and 15% as shares: 2/100 and 15/100
    assert acme == Customer(
        "acme", "ACME LLC", "standard", 10.0, False, 2500.0, "RUB", 0.02, 0.15, 120000.0
    )
    # nothing but name and plan: no package, no rate, no credits, no fee
    assert globex == Customer("globex", "Globex", "standard")
    assert (globex.package_hours, globex.rate, globex.credit_cap, globex.fee) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("written", "share"),
    [
        ("2%", 0.02),
        ("2.5%", 0.025),
        ("2", 0.02),  # a bare number above 1 is a percentage: 2 / 100
        ("0.5", 0.5),  # a bare number up to 1 is already a share
        ("0%", 0.0),
        ("100%", 1.0),
    ],
)
def test_a_percentage_is_read_as_a_share(written: str, share: float) -> None:
    text = CONFIG.replace("per_breach: 2%", f"per_breach: {written}", 1)
    assert parse(text).customers["acme"].credit_per_breach == share


def test_the_agents_line_defaults_to_the_first_line() -> None:
    text = CONFIG.replace(", line: L2}", "}", 1)
    agents = parse(text).agents
    assert (agents["anna"].line, agents["boris"].line) == ("L1", "L1")
    assert agents["boris"] == Agent("boris", "Boris Petrenko", "boris@support.example", "L1")
    assert parse(text).agent_for_email("BORIS@support.example") == agents["boris"]


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            "        resolution: 16h",
            "        resolutoin: 16h",
            "resolutoin",
            "unknown key 'resolutoin' in rule 2 of plan 'standard' (did you mean 'resolution'?)",
        ),
        (
            "package: {hours: 10,",
            "package: {hour: 10,",
            "hour:",
            "unknown key 'hour' in the package of customer 'acme' (did you mean 'hours'?)",
        ),
        (
            "cap: 15%}",
            "capp: 15%}",
            "capp:",
            "unknown key 'capp' in the credits of customer 'acme' (did you mean 'cap'?)",
        ),
        (
            "    warn_at: 80%",
            "    warn_on: 80%",
            "warn_on",
            "unknown key 'warn_on' in plan 'standard' (did you mean 'warn_at'?)",
        ),
        (
            "    name: ACME LLC",
            "    nmae: ACME LLC",
            "nmae",
            "unknown key 'nmae' in customer 'acme' (did you mean 'name'?)",
        ),
        # YAML 1.2 reads `yes` as text, which bool() would take for true
        (
            "rollover: false",
            "rollover: yes",
            "rollover",
            "customer acme: `rollover` must be true or false, got 'yes'",
        ),
        (
            "    rate: 2500",
            "    rate: -2500",
            "rate:",
            "customer acme: `rate` must not be negative",
        ),
        (
            "id_prefix: SUP",
            "id_prefix: sup",
            "id_prefix",
            "`id_prefix` must be 1-10 capital letters/digits, e.g. SUP",
        ),
        (
            "timezone: Europe/Moscow\ncalendars",
            "timezone: Europe/Moskow\ncalendars",
            "Moskow",
            "unknown time zone 'Europe/Moskow' (expected an IANA name like Europe/Moscow)",
        ),
    ],
)
def test_a_typo_is_a_mistake_never_a_default(old: str, new: str, needle: str, message: str) -> None:
    text = CONFIG.replace(old, new, 1)
    assert text != CONFIG
    assert mistakes(text) == [f"supportctl.yaml:{line_of(text, needle)}: {message}"]


def test_mistakes_come_in_file_order_whatever_the_order_found() -> None:
    # agents are checked after customers, the top-level timezone last; the list is by line
    text = (
        CONFIG.replace("timezone: Europe/Moscow\ncalendars", "timezone: Mars\ncalendars", 1)
        .replace("    rate: 2500", "    rate: lots", 1)
        .replace("line: L1}", "line: L9}", 1)
    )
    assert [m.split(": ", 1)[0] for m in mistakes(text)] == [
        f"supportctl.yaml:{line_of(text, 'Mars')}",
        f"supportctl.yaml:{line_of(text, 'rate:')}",
        f"supportctl.yaml:{line_of(text, 'L9')}",
    ]
