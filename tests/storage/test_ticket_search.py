"""Ticket search (supportctl.storage.ticket_search, ops.ticket_search) on a real repo:
ranking across Russian, Ukrainian and English word forms, filters that never leak across
customers, and the snapshot cache."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from supportctl.domain.errors import NotFound, UsageError
from supportctl.ops.ticket_search import search_tickets
from supportctl.storage import ticket_search
from supportctl.storage.desk import Desk
from tests.helpers import commit_file, from_template, ok

if TYPE_CHECKING:
    from pathlib import Path

    from tests.helpers import Cli

# (customer, title, description); comments and resolutions are added in `build`
TICKETS = [
    ("acme", "Принтеры не печатали чеки", "На кассе 2 с утра ничего не выходит."),  # SUP-1
    ("acme", "Касса зависает при оплате картой", "Терминал отвечает через минуту."),  # SUP-2
    ("acme", "Принтер не друкує накладні", "Після оновлення драйвера принтер мовчить."),  # SUP-3
    ("acme", "Printer failed to print labels", "The label printer stopped printing."),  # SUP-4
    ("acme", "VPN disconnects every hour", "Users lose the tunnel on the hour."),  # SUP-5
    ("globex", "Принтер не печатает счета", "Секретный проект Гиперион стоит."),  # SUP-6
    ("globex", "Monthly report is slow", "Report takes minutes to build."),  # SUP-7
]


def build(cli: Cli, root: Path) -> None:
    for customer, title, description in TICKETS:
        ok(cli("new", title, "-c", customer, "-t", "incident", "-p", "normal", "-d", description))
    ok(cli("comment", "SUP-5", "Looks like the firewall drops idle sessions"))
    ok(cli("comment", "SUP-2", "Проверить прошивку пинпада", "--internal"))
    ok(cli("resolve", "SUP-7", "--resolution", "Rebuilt the warehouse indexes"))
    ok(cli("comment", "SUP-7", "Гиперион не связан", "--internal"))


@pytest.fixture
def desk(
    support_repo: Path,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Desk:
    root = from_template(
        "ticket-search", support_repo, lambda r: build(cli, r), monkeypatch, tmp_path_factory
    )
    return Desk(root)


def top(desk: Desk, query: str, **kw: object) -> list[str]:
    return [h.id for h in search_tickets(desk, query, **kw).hits]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("принтер не печатает", {"SUP-1", "SUP-6"}),  # печатали / печатает, принтеры
        ("касса зависла", {"SUP-2"}),
        ("принтер не друкує", {"SUP-3"}),
        ("оновлення драйверів", {"SUP-3"}),
        ("printing fails", {"SUP-4"}),
        ("printers", {"SUP-4"}),
        ("firewall dropping sessions", {"SUP-5"}),  # a comment
        ("прошивка пинпада", {"SUP-2"}),  # an internal note
        ("warehouse index", {"SUP-7"}),  # the resolution
        ("vpn disconects", {"SUP-5"}),  # a typo
    ],
)
def test_ranking_across_languages_and_word_forms(desk: Desk, query: str, first: set[str]) -> None:
    found = top(desk, query)
    assert set(found[: len(first)]) == first


def test_inflected_russian_query_finds_the_inflected_title_first(desk: Desk) -> None:
    hits = search_tickets(desk, "принтер не печатает", customers=["acme"]).hits
    assert hits[0].id == "SUP-1"
    assert hits[0].title == "Принтеры не печатали чеки"
    assert hits[0].matched_terms == ("принтер", "печатает")
    assert hits[0].customer == "acme"
    assert hits[0].status == "new"
    # the English printer ticket shares no word with the query: not found at all
    assert "SUP-4" not in [h.id for h in hits]


def test_snippets_mark_the_match(desk: Desk) -> None:
    hits = search_tickets(desk, "firewall", highlight=("[", "]")).hits
    assert [h.id for h in hits] == ["SUP-5"]
    assert (
        hits[0].snippet
        == "Users lose the tunnel on the hour. Looks like the [firewall] drops idle sessions"
    )


@pytest.mark.parametrize("query", ["Гиперион", "гипериона", "Гипперион", "секретный проект"])
def test_a_customer_filter_never_shows_another_customers_words(desk: Desk, query: str) -> None:
    # "Гиперион" is only in globex tickets (SUP-6's description, SUP-7's internal note)
    assert top(desk, query, customers=["acme"]) == []
    for h in search_tickets(desk, "принтер проект Гиперион", customers=["acme"]).hits:
        assert h.customer == "acme"
        assert "гиперион" not in h.snippet.casefold()
        assert "проект" not in h.snippet.casefold()
    assert top(desk, "Гиперион", customers=["globex"]) == ["SUP-6", "SUP-7"]


def test_other_customers_tickets_do_not_change_a_customers_ranking(desk: Desk, cli: Cli) -> None:
    before = search_tickets(desk, "принтер печатает", customers=["acme"]).hits
    # globex files many printer tickets: the word becomes common desk-wide
    for n in range(6):
        ok(cli("new", f"Принтер {n} не печатает", "-c", "globex", "-t", "incident", "-p", "low"))
    after = search_tickets(Desk(desk.root), "принтер печатает", customers=["acme"]).hits
    assert [(h.id, h.score, h.snippet) for h in after] == [
        (h.id, h.score, h.snippet) for h in before
    ]


def test_status_filter(desk: Desk) -> None:
    assert top(desk, "report") == ["SUP-7"]
    assert top(desk, "report", statuses=["new", "in-progress"]) == []
    assert top(desk, "report", statuses=["Resolved"]) == ["SUP-7"]
    with pytest.raises(UsageError, match="unknown --status 'done'"):
        search_tickets(desk, "report", statuses=["done"])
    with pytest.raises(NotFound, match="unknown customer 'initech'"):
        search_tickets(desk, "report", customers=["initech"])


def test_limit(desk: Desk) -> None:
    assert len(top(desk, "принтер", limit=2)) == 2
    with pytest.raises(UsageError, match="--limit"):
        search_tickets(desk, "принтер", limit=0)


def test_stop_words_only_find_nothing(desk: Desk) -> None:
    assert top(desk, "не и the") == []


def test_a_warm_search_reads_the_snapshot_and_a_commit_refreshes_it(
    desk: Desk, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    analysed: list[str] = []
    real = ticket_search.analyze_document

    def counting(doc: ticket_search.Document) -> dict[str, object]:
        analysed.append(doc.title)
        return real(doc)

    monkeypatch.setattr(ticket_search, "analyze_document", counting)
    top(desk, "vpn")  # the template's cache may hold analyses already; a snapshot now
    analysed.clear()
    assert top(Desk(desk.root), "vpn") == ["SUP-5"]
    assert analysed == []  # warm: nothing analysed, nothing rebuilt from rows
    ok(cli("comment", "SUP-4", "The VPN client update fixed it"))
    assert top(Desk(desk.root), "vpn") == ["SUP-5", "SUP-4"]
    assert [t for t in analysed if t] == ["Printer failed to print labels"]  # only the change


def test_after_a_commit_only_the_changed_customers_index_is_built_again(
    desk: Desk, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    top(desk, "vpn")
    built: list[list[str]] = []
    real = ticket_search.SearchIndex.from_analyzed

    def counting(docs: Any) -> ticket_search.SearchIndex:
        pairs = list(docs)
        built.append(sorted(d.key for d, _ in pairs))
        return real(pairs)

    monkeypatch.setattr(ticket_search.SearchIndex, "from_analyzed", counting)
    ok(cli("comment", "SUP-7", "Гиперион ускорен"))  # a globex ticket
    assert set(top(Desk(desk.root), "Гиперион", customers=["globex"])) == {"SUP-6", "SUP-7"}
    assert top(Desk(desk.root), "Гиперион", customers=["acme"]) == []
    # every ticket's index and globex's; acme's came from the old snapshot as it was
    assert built == [[f"SUP-{n}" for n in range(1, 8)], ["SUP-6", "SUP-7"]]
    built.clear()
    assert top(Desk(desk.root), "принтер не печатает", customers=["acme"])[0] == "SUP-1"
    assert built == []  # warm again


def test_a_damaged_snapshot_is_ignored(desk: Desk) -> None:
    top(desk, "vpn")
    path = desk.cache.path(ticket_search.CACHE_KIND)
    assert path is not None
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF  # inside the posting lists: only the checksum can tell
    path.write_bytes(bytes(data))
    assert top(Desk(desk.root), "vpn") == ["SUP-5"]
    assert path.read_bytes() != bytes(data)  # replaced


def test_an_unreadable_ticket_is_reported_not_searched(desk: Desk) -> None:
    commit_file(desk.root, "data/tickets/0000/SUP-99.yaml", "id: SUP-99\ntitle: [unclosed\n")
    result = search_tickets(Desk(desk.root), "vpn")
    assert [h.id for h in result.hits] == ["SUP-5"]
    assert len(result.problems) == 1
    assert result.problems[0].startswith("data/tickets/0000/SUP-99.yaml")
