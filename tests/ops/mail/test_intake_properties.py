"""Property: whatever bytes arrive, the intake neither crashes nor loses them: each message
gets one result, and its bytes are in the repo as they came (a mail or a quarantined one)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportctl.ops.mail.intake import OUTCOMES, ingest
from supportctl.ops.mail.records import paths_of
from supportctl.storage.desk import Desk
from tests.helpers import git
from tests.mailtexts import DESK, use_mail_config

if TYPE_CHECKING:
    from pathlib import Path

HEADER_NAMES = st.sampled_from(
    [
        "From",
        "To",
        "Cc",
        "Subject",
        "Message-ID",
        "In-Reply-To",
        "References",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Auto-Submitted",
        "Precedence",
        "Return-Path",
        "X-Weird",
    ]
)
VALUES = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "ivan@acme.example",
            "<m1@acme.example>",
            "[SUP-1] hello",
            "=?koi8-r?B?8NLJ18XU?=",
            "multipart/mixed; boundary=x",
            "text/plain; charset=klingon",
            "base64",
            "auto-replied",
            "<>",
        ]
    ),
)


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=300))
    headers = draw(st.lists(st.tuples(HEADER_NAMES, VALUES), max_size=8))
    lines = [f"{k}: {v}".encode("utf-8", "surrogateescape") for k, v in headers]
    if draw(st.booleans()):
        lines.insert(0, f"From: someone@acme.example\r\nTo: {DESK}".encode())
    body = draw(st.binary(max_size=300))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raws=st.lists(messages(), min_size=1, max_size=3))
def test_nothing_crashes_and_nothing_is_lost(support_repo: Path, raws: list[bytes]) -> None:
    if "mail:" not in (support_repo / "supportctl.yaml").read_text(encoding="utf-8"):
        use_mail_config(support_repo)
    desk = Desk(support_repo)
    results = ingest(desk, raws)
    assert len(results) == len(raws)
    for raw, result in zip(raws, results, strict=True):
        assert result.outcome in OUTCOMES
        assert (result.commit is None) == (result.outcome == "duplicate")
        paths = paths_of(result.message_id)
        kept = [support_repo / p for p in (paths.eml, paths.quarantined_eml)]
        stored = [p.read_bytes() for p in kept if p.exists()]
        assert len(stored) == 1
        if result.outcome != "duplicate":
            assert stored == [raw]
    assert git(support_repo, "status", "--porcelain") == ""
