"""A mail record's bytes: the record writer gives what `yamlio.dump` gives, for every
value it writes itself and for those it leaves to `yamlio.dump`."""

from __future__ import annotations

import pytest

from supportctl.domain import yamlio
from supportctl.ops.mail.records import record_bytes

VALUES = [
    "a: b",
    "it's",
    "x #y",
    "'q'",
    '"q"',
    "#x",
    "C#",
    "a, b",
    "[SUP-1] x",
    "x [SUP-1]",
    "x{y}",
    "%x",
    "@x",
    "`x",
    "!x",
    "&x",
    "*x",
    "|x",
    ">x",
    "a:b",
    "x:",
    "1С",
    "yes",
    "No",
    "nULL",
    "12",
    "0x1F",
    "1e3",
    ".inf",
    "SUP-12",
    "<a@b>",
    "Re: Ошибка «тест» — №5…",
    "x  y",
    "Hello, world",
    "ok?",
    "?ok",
    "-x",
    "- x",
    "50% off",
    "a'b'c",
    'a"b',
    "2026-12-02",
    "2026-12-02T04:30:34+00:00",
    "2026-12-02T04:30:34.5Z",
    "x\ty",
    "Ünïcödé",
    "a~b",
    "a=b",
    "<<",
    "=",
    "~",
    "x -y",
    "a | b",
    "a > b",
    "a & b",
    "(x)",
    "_x",
    ">",
    "a@b.c",
    "Ж",
    "",
    " x",
    "x ",
    "x\u00a0y",
    "x\u2028y",
    "\ufeffx",
    "日本語",
    "emoji 😀",
    "a\nb",
]


@pytest.mark.parametrize("value", VALUES)
def test_a_record_is_what_yamlio_dump_writes(value: str) -> None:
    record = {
        "message_id": "<1.2@x.example>",
        "direction": "in",
        "ticket": None,
        "received": "2026-12-02T04:30:34+00:00",
        "subject": value,
        "to": [value, "a@b.example"],
        "cc": [],
        "skipped_attachments": [{"name": value, "bytes": 12, "reason": value}],
    }
    assert record_bytes(record) == yamlio.dump(record)
    assert yamlio.load_plain(record_bytes(record)) == record


def test_a_record_reads_as_written() -> None:
    record = {
        "message_id": "<000608.d9fe4e18@acme.example>",
        "direction": "in",
        "ticket": "SUP-228",
        "outcome": "entry",
        "received": "2026-12-02T04:30:34+00:00",
        "from": "ivan@acme.example",
        "to": ["support@desk.example"],
        "cc": [],
        "subject": "Re: Ошибка при выгрузке счетов в 1С",
        "attachments": ["data/mail/0a/0a1b/log.txt"],
        "skipped_attachments": [{"name": "big.bin", "bytes": 20000000, "reason": "too big"}],
    }
    assert (
        record_bytes(record)
        == (
            "message_id: <000608.d9fe4e18@acme.example>\n"
            "direction: in\n"
            "ticket: SUP-228\n"
            "outcome: entry\n"
            "received: '2026-12-02T04:30:34+00:00'\n"
            "from: ivan@acme.example\n"
            "to:\n"
            "  - support@desk.example\n"
            "cc: []\n"
            "subject: 'Re: Ошибка при выгрузке счетов в 1С'\n"
            "attachments:\n"
            "  - data/mail/0a/0a1b/log.txt\n"
            "skipped_attachments:\n"
            "  - name: big.bin\n"
            "    bytes: 20000000\n"
            "    reason: too big\n"
        ).encode()
    )
