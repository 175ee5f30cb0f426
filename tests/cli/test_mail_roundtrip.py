"""The whole loop with a real SMTP server: customer mail in → ticket → the acknowledgement and
the agent's reply out → the customer answers the reply → the same ticket."""

from __future__ import annotations

import json
from email import message_from_bytes
from email.policy import default
from typing import TYPE_CHECKING

from tests.helpers import commit_file, ok
from tests.mailservers import mail_config
from tests.mailtexts import message

if TYPE_CHECKING:
    from pathlib import Path

    from tests.helpers import Cli
    from tests.mailservers import SmtpServer


def test_a_reply_to_our_reply_lands_on_the_same_ticket(
    cli: Cli, support_repo: Path, smtp_server: SmtpServer
) -> None:
    commit_file(support_repo, "supportctl.yaml", mail_config(smtp_server.port))
    first = message(subject="Не печатает принтер", body="Принтер в бухгалтерии молчит.\n")
    [got] = [
        json.loads(x)
        for x in ok(cli("mail", "ingest", "-", "--json", input=first)).stdout.splitlines()
    ]
    assert (got["outcome"], got["ticket"]) == ("new", "SUP-1")
    ok(cli("comment", "SUP-1", "Перезагрузите, пожалуйста, принтер."))
    sent = json.loads(ok(cli("mail", "send", "--json")).stdout)
    assert sorted(row["kind"] for row in sent) == ["ack", "reply"]
    assert all(row["outcome"] == "sent" for row in sent)
    delivered = {
        m["Message-ID"]: m
        for m in (message_from_bytes(r.data, policy=default) for r in smtp_server.received)
    }
    reply = next(m for m in delivered.values() if "Перезагрузите" in m.get_body().get_content())
    assert reply["In-Reply-To"] == "<m1@acme.example>"
    assert "[SUP-1]" in str(reply["Subject"])
    # the customer answers the agent's reply from a client that keeps no subject tag
    answer = message(
        subject="Re: принтер",
        body="Перезагрузила, не помогло.\n\n> Перезагрузите, пожалуйста, принтер.\n",
        message_id="<m2@acme.example>",
        in_reply_to=reply["Message-ID"],
        references=f"<m1@acme.example> {reply['Message-ID']}",
    )
    [got] = [
        json.loads(x)
        for x in ok(cli("mail", "ingest", "-", "--json", input=answer)).stdout.splitlines()
    ]
    assert (got["outcome"], got["ticket"]) == ("entry", "SUP-1")
    shown = json.loads(ok(cli("show", "SUP-1", "--json")).stdout)
    kinds = [
        ("customer" if c.get("from_customer") else c.get("visibility", "public"), c["text"])
        for c in shown["comments"]
    ]
    assert kinds == [
        ("public", "Перезагрузите, пожалуйста, принтер."),
        ("customer", "Перезагрузила, не помогло."),
    ]
    assert "<m2@acme.example>" in shown["message_ids"]
    assert reply["Message-ID"] in shown["message_ids"]
