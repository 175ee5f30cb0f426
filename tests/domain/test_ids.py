"""supportctl/domain/ids.py: what a ticket ID is, its number and its file, without git."""

from __future__ import annotations

import pytest

from supportctl.domain.errors import UsageError
from supportctl.domain.ids import (
    id_number,
    id_of_path,
    is_prefix,
    is_ticket_id,
    normalize_id,
    number_key,
    parse_id,
    sort_key,
    ticket_path,
)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("SUP-1", ("SUP", 1)),
        ("SUP-42", ("SUP", 42)),
        ("HD2-999999999", ("HD2", 999_999_999)),
        ("ABCDEFGHIJ-7", ("ABCDEFGHIJ", 7)),
    ],
)
def test_ids(text: str, parsed: tuple[str, int]) -> None:
    assert parse_id(text) == parsed


@pytest.mark.parametrize(
    "text",
    [
        "",
        "SUP",
        "SUP-",
        "-1",
        "sup-1",
        "SUP-0",
        # Leading zeros, non-ASCII digits and a number past 9 digits were numbers to the
        # sync, history and sort copies (`\d+`, str.isdigit) but no ID to the reader.
        "SUP-042",
        "SUP-٤٢",
        "SUP-1000000000",
        "1SUP-1",
        "ABCDEFGHIJK-1",
        "SUP-1~1",
        "SUP-1\n",
        "../SUP-1",
    ],
)
def test_not_ids(text: str) -> None:
    assert parse_id(text) is None


def test_superscript_digits_are_no_number() -> None:
    # str.isdigit() is true for "²" but int() refuses it: the report's and the backlog's
    # sort keys raised ValueError on such a key instead of sorting it
    assert number_key("SUP-²") == 0
    with pytest.raises(ValueError, match="not a ticket ID"):
        id_number("SUP-²")


def test_is_ticket_id_with_a_prefix() -> None:
    assert is_ticket_id("SUP-3", "SUP")
    assert not is_ticket_id("HD-3", "SUP")
    assert is_ticket_id("HD-3")


def test_id_number_refuses_what_is_no_id() -> None:
    # the old copy raised IndexError for `1`, which made `validate` print a traceback
    with pytest.raises(ValueError, match="not a ticket ID"):
        id_number("1")
    assert id_number("SUP-1500") == 1500


def test_number_key_puts_other_keys_first() -> None:
    keys = ["SUP-10", "SUP-7~1", "SUP-9", "SUP-2"]
    assert sorted(keys, key=number_key) == ["SUP-7~1", "SUP-2", "SUP-9", "SUP-10"]


def test_sort_key_orders_by_prefix_then_number() -> None:
    keys = ["SUP-10", "HD-3", "SUP-9", "HD-20"]
    assert sorted(keys, key=sort_key) == ["HD-3", "HD-20", "SUP-9", "SUP-10"]


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("SUP-42", "SUP-42"), ("sup-42", "SUP-42"), (" 42 ", "SUP-42"), ("Sup-7", "SUP-7")],
)
def test_normalize_id(raw: str, canonical: str) -> None:
    assert normalize_id(raw, "SUP") == canonical


@pytest.mark.parametrize("raw", ["HD-42", "SUP-042", "../SUP-1", "SUP-1/x", "0", "²", ""])
def test_normalize_id_refuses(raw: str) -> None:
    with pytest.raises(UsageError) as err:
        normalize_id(raw, "SUP")
    assert err.value.message == f"bad ticket ID {raw!r}: expected SUP-<number>"


def test_prefix() -> None:
    assert is_prefix("SUP")
    assert is_prefix("H2")
    assert not is_prefix("sup")
    assert not is_prefix("2H")
    assert not is_prefix("ABCDEFGHIJK")
    assert not is_prefix("SUP\n")


def test_ticket_path_shards_by_500() -> None:
    assert ticket_path("SUP-1") == "data/tickets/0000/SUP-1.yaml"
    assert ticket_path("SUP-499") == "data/tickets/0000/SUP-499.yaml"
    assert ticket_path("SUP-500") == "data/tickets/0001/SUP-500.yaml"


@pytest.mark.parametrize(
    ("path", "ticket"),
    [
        ("data/tickets/0000/SUP-1.yaml", "SUP-1"),
        ("data/tickets/0001/HD-500.yaml", "HD-500"),
        # Any other YAML under data/tickets is no ticket (the reader's rule); the sync
        # and history copies took any shard folder and any digits.
        ("data/tickets/0001/SUP-1.yaml", None),
        ("data/tickets/old/SUP-1.yaml", None),
        ("data/tickets/0000/SUP-01.yaml", None),
        ("data/tickets/0000/notes-2026.yaml", None),
        ("data/tickets/SUP-1.yaml", None),
        ("data/tickets/0000/SUP-1.yml", None),
        ("x/data/tickets/0000/SUP-1.yaml", None),
        ("data/kb/0000/SUP-1.yaml", None),
    ],
)
def test_id_of_path(path: str, ticket: str | None) -> None:
    assert id_of_path(path) == ticket


def test_a_mention_is_broader_than_an_id_so_masking_misses_none() -> None:
    from supportctl.domain.ids import mention_pattern

    found = mention_pattern("SUP").findall("SUP-42, SUP-042 and SUP-٤٢; not XSUP-1 or SUP-x")
    assert found == ["SUP-42", "SUP-042", "SUP-٤٢"]
