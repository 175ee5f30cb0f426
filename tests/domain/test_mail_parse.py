"""Reading one message: domain/mail.py on small hand-written messages."""

from __future__ import annotations

import base64
import email
import email.policy
import re
import sysconfig
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportctl.domain.errors import MailError, UsageError
from supportctl.domain.mail import (
    NAME_MAX_BYTES,
    Address,
    Attachment,
    clean_subject,
    html_to_text,
    is_charset,
    is_machine,
    is_machine_address,
    message_ids,
    parse_mail,
    safe_attachment_name,
    subject_tags,
    trim_reply,
    unflow,
)


def test_plain_message_parses_into_its_fields() -> None:
    raw = (
        b"From: =?utf-8?b?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <Ivan@Acme.Example>\r\n"
        b"To: support@desk.example, Anna <anna@acme.example>\r\n"
        b"Cc: boss@acme.example\r\n"
        b"Subject: =?utf-8?q?=D0=9F=D1=80=D0=B8=D0=B2=D0=B5=D1=82?=\r\n"
        b"Date: Mon, 02 Mar 2026 10:00:00 +0300\r\n"
        b"Message-ID: <abc@acme.example>\r\n"
        b"In-Reply-To: <out-1@desk.example>\r\n"
        b"References: <out-0@desk.example> <out-1@desk.example>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"\r\n"
        b"Hello\r\n"
    )
    mail = parse_mail(raw)
    assert mail.sender == Address("Иван Петров", "ivan@acme.example")
    assert mail.to == (Address("", "support@desk.example"), Address("Anna", "anna@acme.example"))
    assert mail.cc == (Address("", "boss@acme.example"),)
    assert mail.subject == "Привет"
    assert mail.message_id == "<abc@acme.example>"
    assert mail.in_reply_to == ("<out-1@desk.example>",)
    assert mail.references == ("<out-0@desk.example>", "<out-1@desk.example>")
    assert mail.date == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    assert mail.text == "Hello"
    assert mail.full_text == "Hello"
    assert mail.machine is None
    assert mail.raw == raw


def test_message_without_id_gets_one_from_its_bytes() -> None:
    raw = b"From: a@b.example\nSubject: x\n\nbody\n"
    first = parse_mail(raw).message_id
    assert first == parse_mail(raw).message_id
    assert first.endswith("@supportctl.invalid>")
    assert first != parse_mail(raw + b"more\n").message_id


@pytest.mark.parametrize("raw", [b"", b"   \n", b"\x00\x01binary", b"just some text\n"])
def test_bytes_that_are_no_message_raise_mail_error(raw: bytes) -> None:
    with pytest.raises(MailError, match="not an e-mail message"):
        parse_mail(raw)


def test_mail_error_is_an_input_error() -> None:
    assert issubclass(MailError, UsageError)


def _mail(*headers: str, body: bytes = b"Hello\n", raw_headers: bytes = b"") -> bytes:
    """A message from header lines (str, ASCII) plus raw header bytes and a body."""
    head = "".join(f"{h}\r\n" for h in ("From: Ivan <ivan@acme.example>", *headers))
    return head.encode() + raw_headers + b"\r\n" + body


RU = "Добрый день! У нас не работает принтер в бухгалтерии, помогите пожалуйста."
UK = "Доброго дня! Не працює принтер у бухгалтерії, допоможіть, будь ласка."


# --- charsets -------------------------------------------------------------------------


@pytest.mark.parametrize("charset", ["koi8-r", "cp1251", "cp866"])
def test_undeclared_8bit_russian_body_is_read_in_its_charset(charset: str) -> None:
    mail = parse_mail(_mail("Subject: x", body=RU.encode(charset)))
    assert mail.full_text == RU


def test_undeclared_8bit_ukrainian_body_in_cp1251() -> None:
    assert parse_mail(_mail("Subject: x", body=UK.encode("cp1251"))).full_text == UK


@pytest.mark.parametrize("charset", ["koi8-r", "cp1251"])
def test_raw_8bit_subject_and_sender_name_are_read(charset: str) -> None:
    raw = (
        b"From: " + "Иван Петров".encode(charset) + b" <ivan@acme.example>\r\n"
        b"Subject: " + "Не работает принтер".encode(charset) + b"\r\n\r\nbody\r\n"
    )
    mail = parse_mail(raw)
    assert mail.subject == "Не работает принтер"
    assert mail.sender == Address("Иван Петров", "ivan@acme.example")


def test_short_koi8_text_in_capitals_is_not_read_as_cp1251() -> None:
    # f4 e5 f3 f4: "ТЕСТ" in KOI8-R, "фесф" in cp1251 (a rare letter twice)
    assert parse_mail(_mail("Subject: x", body="ТЕСТ".encode("koi8-r"))).full_text == "ТЕСТ"


def test_undeclared_utf8_is_utf8() -> None:
    assert parse_mail(_mail("Subject: x", body=RU.encode())).full_text == RU


@pytest.mark.parametrize(
    ("label", "codec"),
    [("koi8r", "koi8-r"), ("win-1251", "cp1251"), ("x-mac-cyrillic", "mac_cyrillic")],
)
def test_charset_names_no_codec_knows_are_understood(label: str, codec: str) -> None:
    body = RU.encode(codec)
    word = "=?{}?B?{}?=".format(label, base64.b64encode("Привет".encode(codec)).decode())
    mail = parse_mail(
        _mail(f"Subject: {word}", f"Content-Type: text/plain; charset={label}", body=body)
    )
    assert mail.subject == "Привет"
    assert mail.full_text == RU


def test_unknown_charset_name_falls_back_to_guessing() -> None:
    mail = parse_mail(
        _mail("Content-Type: text/plain; charset=x-no-such", body=RU.encode("koi8-r"))
    )
    assert mail.full_text == RU


def test_cp1251_labelled_as_iso_8859_1_is_read_as_cyrillic() -> None:
    mail = parse_mail(
        _mail("Content-Type: text/plain; charset=iso-8859-1", body=RU.encode("cp1251"))
    )
    assert mail.full_text == RU


def test_koi8_labelled_as_windows_1251_is_read_as_koi8() -> None:
    mail = parse_mail(
        _mail("Content-Type: text/plain; charset=windows-1251", body=RU.encode("koi8-r"))
    )
    assert mail.full_text == RU


def test_cp1251_labelled_utf8_is_read_as_cp1251() -> None:
    mail = parse_mail(_mail("Content-Type: text/plain; charset=utf-8", body=RU.encode("cp1251")))
    assert mail.full_text == RU


def test_correct_latin_label_is_believed() -> None:
    text = "Grüße aus München, die Straße ist schön."
    mail = parse_mail(
        _mail("Content-Type: text/plain; charset=iso-8859-1", body=text.encode("latin-1"))
    )
    assert mail.full_text == text


def test_correct_greek_label_is_believed() -> None:
    text = "Καλημέρα, ο εκτυπωτής δεν λειτουργεί."
    mail = parse_mail(
        _mail("Content-Type: text/plain; charset=iso-8859-7", body=text.encode("iso-8859-7"))
    )
    assert mail.full_text == text


def test_configured_fallback_charsets_are_the_ones_tried() -> None:
    text = "Ελληνικά: ο εκτυπωτής δεν λειτουργεί καθόλου σήμερα το πρωί."
    raw = _mail("Subject: x", body=text.encode("iso-8859-7"))
    assert parse_mail(raw, fallback_charsets=("iso-8859-7",)).full_text == text


def test_rfc2047_words_split_inside_a_character_are_joined() -> None:
    data = "Привет".encode()
    first = base64.b64encode(data[:3]).decode()
    second = base64.b64encode(data[3:]).decode()
    mail = parse_mail(_mail(f"Subject: =?utf-8?B?{first}?=\r\n =?utf-8?B?{second}?="))
    assert mail.subject == "Привет"


def test_encoded_word_in_quotes_and_q_encoding() -> None:
    mail = parse_mail(
        b'From: "=?koi8-r?Q?=E9=D7=C1=CE?=" <Ivan@ACME.example>\r\nSubject: =?utf-8?Q?a_b?=\r\n\r\nx'
    )
    assert mail.sender == Address("Иван", "ivan@acme.example")
    assert mail.subject == "a b"


def test_iso_2022_jp_body_and_subject() -> None:
    text = "こんにちは"
    raw = (
        b"From: a@b.example\r\nSubject: " + text.encode("iso2022_jp") + b"\r\n"
        b"Content-Type: text/plain; charset=iso-2022-jp\r\n\r\n" + text.encode("iso2022_jp")
    )
    mail = parse_mail(raw)
    assert mail.subject == text
    assert mail.full_text == text


def test_subject_folding_and_control_characters_become_spaces() -> None:
    mail = parse_mail(_mail("Subject: one\r\n\ttwo\x07three"))
    assert mail.subject == "one two three"


# --- structure ------------------------------------------------------------------------


def _multipart(ctype: str, *parts: bytes, headers: tuple[str, ...] = ()) -> bytes:
    # each part ends in CRLF: the one that belongs to the next delimiter
    body = b"".join(b"--BOUND\r\n" + p for p in parts) + b"--BOUND--\r\n"
    return _mail(
        "Subject: parts",
        "MIME-Version: 1.0",
        f'Content-Type: {ctype}; boundary="BOUND"',
        *headers,
        body=body,
    )


PLAIN = b"Content-Type: text/plain; charset=utf-8\r\n\r\nplain text\r\n"
HTML = b"Content-Type: text/html; charset=utf-8\r\n\r\n<p>html <b>text</b></p>\r\n"


def test_alternative_prefers_plain_text() -> None:
    assert parse_mail(_multipart("multipart/alternative", PLAIN, HTML)).full_text == "plain text"


def test_alternative_with_empty_plain_uses_html() -> None:
    empty = b"Content-Type: text/plain\r\n\r\n\r\n"
    assert parse_mail(_multipart("multipart/alternative", empty, HTML)).full_text == "html text"


def test_html_only_mail_becomes_readable_text() -> None:
    html = (
        b"<html><head><style>p {color: red}</style><script>alert(1)</script></head><body>"
        b"<p>Hello,</p><p>the printer &amp; the scanner</p><ul><li>one</li><li>two</li></ul>"
        b"</body></html>"
    )
    mail = parse_mail(_mail("Content-Type: text/html; charset=utf-8", body=html))
    assert "Hello," in mail.full_text
    assert "the printer & the scanner" in mail.full_text
    assert "* one" in mail.full_text
    assert "alert" not in mail.full_text
    assert "color" not in mail.full_text
    assert "<" not in mail.full_text


def test_html_to_text_of_nothing_and_of_broken_markup() -> None:
    assert html_to_text("") == ""
    assert html_to_text("   ") == ""
    assert "text" in html_to_text("<p>text<div><b>unclosed")
    assert html_to_text('<?xml version="1.0" encoding="utf-8"?><p>x</p>') == "x"


def test_attachments_keep_their_bytes_and_decoded_names() -> None:
    pdf = (
        b"Content-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=UTF-8''%D0%A1%D1%87%D1%91%D1%82.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(b"%PDF-1.4 data") + b"\r\n"
    )
    mail = parse_mail(_multipart("multipart/mixed", PLAIN, pdf))
    assert mail.full_text == "plain text"
    assert mail.attachments == (Attachment("Счёт.pdf", "application/pdf", b"%PDF-1.4 data"),)


def test_rfc2231_continued_name_in_a_charset_no_codec_knows() -> None:
    first = urllib.parse.quote_from_bytes("Отчёт за ".encode("koi8-r"))
    second = urllib.parse.quote_from_bytes("март.txt".encode("koi8-r"))
    part = (
        b"Content-Type: text/plain\r\n"
        b"Content-Disposition: attachment;\r\n"
        b" filename*0*=koi8r'ru'" + first.encode() + b";\r\n"
        b" filename*1*=" + second.encode() + b"\r\n\r\ndata\r\n"
    )
    mail = parse_mail(_multipart("multipart/mixed", PLAIN, part))
    assert [a.name for a in mail.attachments] == ["Отчёт за март.txt"]


def test_rfc2047_and_raw_8bit_attachment_names() -> None:
    encoded = b'Content-Type: image/png; name="=?utf-8?B?0YTQvtGC0L4ucG5n?="\r\n\r\nx\r\n'
    raw8 = (
        b'Content-Type: image/png\r\nContent-Disposition: attachment; filename="'
        + "скан.png".encode("cp1251")
        + b'"\r\n\r\ny\r\n'
    )
    mail = parse_mail(_multipart("multipart/mixed", PLAIN, encoded, raw8))
    assert [a.name for a in mail.attachments] == ["фото.png", "скан.png"]


def test_attachment_names_are_made_unique_within_a_message() -> None:
    part = (
        b'Content-Type: image/png\r\nContent-Disposition: attachment; filename="a.png"\r\n\r\nx\r\n'
    )
    mail = parse_mail(_multipart("multipart/mixed", PLAIN, part, part, part))
    assert [a.name for a in mail.attachments] == ["a.png", "a (2).png", "a (3).png"]


def test_header_injection_in_an_attachment_name_is_neutralised() -> None:
    name = base64.b64encode(b"x.pdf\r\nBcc: victim@example.com\r\n\r\n../../evil.sh").decode()
    part = (
        b'Content-Type: application/pdf; name="=?utf-8?B?' + name.encode() + b'?="\r\n'
        b"Content-Disposition: attachment\r\n\r\nx\r\n"
    )
    (attachment,) = parse_mail(_multipart("multipart/mixed", PLAIN, part)).attachments
    assert attachment.name == "evil.sh"


def test_named_inline_text_part_is_an_attachment() -> None:
    part = b'Content-Type: text/plain; name="log.txt"\r\nContent-Disposition: inline\r\n\r\nlog\r\n'
    mail = parse_mail(_multipart("multipart/mixed", PLAIN, part))
    assert mail.full_text == "plain text"
    assert [(a.name, a.data) for a in mail.attachments] == [("log.txt", b"log")]


def test_mbox_from_line_and_a_preamble_before_the_headers_are_skipped() -> None:
    raw = (
        b"From ivan@acme.example Mon Mar  2 10:00:00 2026\nSubject: hi\nFrom: a@b.example\n\nbody\n"
    )
    assert parse_mail(raw).subject == "hi"
    pasted = b"---- Original email message ----\r\nFrom: a@b.example\r\nSubject: hi\r\n\r\nbody\r\n"
    mail = parse_mail(pasted)
    assert mail.subject == "hi"
    assert mail.raw == pasted


def test_header_line_without_its_indent_continues_the_header() -> None:
    raw = b"From: a@b.example\nX-Long: part one\npart two\nSubject: kept\n\nbody\n"
    mail = parse_mail(raw)
    assert mail.subject == "kept"
    assert mail.full_text == "body"


def test_missing_sender_date_and_broken_date() -> None:
    mail = parse_mail(b"Subject: x\nDate: not a date\n\nbody\n")
    assert mail.sender == Address("", "")
    assert mail.date is None
    assert parse_mail(_mail("Date: Mon, 2 Mar 2026 10:00:00 -0000")).date == datetime(
        2026, 3, 2, 10, 0, tzinfo=UTC
    )


def test_message_ids_without_brackets_and_with_comments() -> None:
    mail = parse_mail(
        _mail(
            "Message-ID: bare@acme.example",
            "In-Reply-To: <a@desk.example> (Ivan's message of Monday)",
            "References: <r1@desk.example>\r\n <r2@desk.example>,<r1@desk.example>",
        )
    )
    assert mail.message_id == "<bare@acme.example>"
    assert mail.in_reply_to == ("<a@desk.example>",)
    assert mail.references == ("<r1@desk.example>", "<r2@desk.example>")


def test_message_ids_helper() -> None:
    assert message_ids(None) == ()
    assert message_ids("no id here") == ()
    assert message_ids("<a b@c>") == ()


# --- subjects -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "clean"),
    [
        ("Re: Printer", "Printer"),
        ("RE: RE: Printer", "Printer"),
        ("Re[2]: Printer", "Printer"),
        ("Re(3): Printer", "Printer"),
        ("AW: WG: Printer", "Printer"),
        ("Fwd: FW: Fw: Printer", "Printer"),
        ("SV: VS: Printer", "Printer"),
        ("Отв: Ответ: Printer", "Printer"),
        ("Пересл: Відп: Printer", "Printer"),
        ("re:Re : RE:  Printer  is   down", "Printer is down"),
        ("Re: [SUP-42] Printer", "[SUP-42] Printer"),
        ("Printer: Re: toner", "Printer: Re: toner"),
        ("Reply needed", "Reply needed"),
        ("Answer: 42", "Answer: 42"),
        ("", ""),
    ],
)
def test_clean_subject(subject: str, clean: str) -> None:
    assert clean_subject(subject) == clean


def test_subject_tags_are_real_ids_of_the_desk() -> None:
    assert subject_tags("Re: [SUP-42] Printer [SUP-7] [sup-42]", "SUP") == ("SUP-42", "SUP-7")
    assert subject_tags("[SUP-042] [SUP-0] [OPS-3] SUP-5 [SUP-5x]", "SUP") == ()
    assert subject_tags("[ SUP-9 ]", "SUP") == ("SUP-9",)
    assert subject_tags("[Ticket#11168] [DEMOS #12148]", "SUP") == ()


# --- attachment names -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/abs/path.txt", "path.txt"),
        (".htaccess", "htaccess"),
        ("...", "attachment"),
        ("", "attachment"),
        ("a\x00b.txt", "ab.txt"),
        ("line\r\nBcc: x@y.example", "line Bcc_ x@y.example"),
        ("Счёт №5.pdf", "Счёт №5.pdf"),
        ("CON.txt", "_CON.txt"),
        ('a<b>c:"d"|e?f*.txt', "a_b_c__d__e_f_.txt"),
        ("evil\u202etxt.exe", "eviltxt.exe"),
        ("  spaced   name .doc  ", "spaced name .doc"),
        ("trailing dots...", "trailing dots"),
    ],
)
def test_safe_attachment_name(name: str, safe: str) -> None:
    assert safe_attachment_name(name) == safe


def test_long_names_are_capped_in_bytes_keeping_the_extension() -> None:
    name = safe_attachment_name("Я" * 300 + ".docx")
    assert name.endswith(".docx")
    assert len(name.encode()) <= NAME_MAX_BYTES
    assert name.startswith("ЯЯЯ")


# --- trimming -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "history",
    [
        "-- \nIvan Petrov\nAcme",
        "--\nIvan Petrov",
        "> quoted line\n> another",
        "On Mon, 2 Mar 2026 at 10:00, Desk <support@desk.example> wrote:\n> earlier",
        "On Mon, 2 Mar 2026 at 10:00, Support Desk <\nsupport@desk.example> wrote:\n\n> earlier",
        "02.03.2026 10:00, Служба поддержки пишет:\n> раньше",
        "Служба поддержки написал(а):\n> раньше",
        "02.03.2026 10:00, Служба підтримки пише:\n> раніше",
        "Le 2 mars 2026 à 10:00, Desk <support@desk.example> a écrit :\n> avant",
        "Am 02.03.2026 um 10:00 schrieb Desk <support@desk.example>:\n> vorher",
        "пн, 2 мар. 2026 г. в 10:00, Desk <support@desk.example>:\n\n> раньше",
        '02.03.2026, 10:00, "Desk" <support@desk.example>:\n> раньше',
        "Понедельник, 2 марта 2026, 10:00 +03:00 от Desk <support@desk.example>:\n> раньше",
        "-----Original Message-----\nFrom: Desk\nSent: Monday\n\nearlier",
        "-----Исходное сообщение-----\nОт: Desk\n\nраньше",
        "________________________________\nFrom: Desk <support@desk.example>\nSent: Monday, March 2, 2026 10:00 AM\nTo: Ivan\nSubject: RE: Printer\n\nearlier",
        "От: Desk [mailto:support@desk.example]\nОтправлено: 2 марта 2026 г. 10:00\nКому: Иван\nТема: Принтер\n\nраньше",
        "Від: Desk <support@desk.example>\nНадіслано: 2 березня 2026 р. 10:00\nКому: Іван\nТема: Принтер\n\nраніше",
        "*From:* Desk <support@desk.example>\n*Sent:* Monday\n*To:* Ivan\n\nearlier",
    ],
)
def test_trim_reply_drops_history_and_signatures(history: str) -> None:
    text = f"Спасибо, заработало.\n\nИван\n\n{history}"
    assert trim_reply(text) == "Спасибо, заработало.\n\nИван"


def test_trim_reply_bottom_posting_keeps_the_answer_below_the_quote() -> None:
    text = "On 02.03.2026 10:00, Desk wrote:\n> Did it work?\n> Thanks\n\nYes, it works now.\n-- \nIvan"
    assert trim_reply(text) == "Yes, it works now."


def test_trim_reply_keeps_interleaved_answers_below_the_first_quote() -> None:
    text = "On 2 Mar, Desk wrote:\n> Question one?\nAnswer one.\n> Question two?\nAnswer two."
    assert trim_reply(text) == "Answer one.\n> Question two?\nAnswer two."


@pytest.mark.parametrize(
    "text",
    [
        "Клиент пишет:\nпринтер не печатает",  # no date, address or quote: a sentence
        "From: the accounting department\nwe need a new printer",  # no header block
    ],
)
def test_trim_reply_keeps_text_that_only_looks_like_history(text: str) -> None:
    kept = trim_reply(text)
    assert "принтер" in kept or "printer" in kept or "not a signature" in kept


def test_trim_reply_returns_a_message_that_is_all_quote_whole() -> None:
    assert trim_reply("> only\n> a quote\n") == "> only\n> a quote"


def test_text_is_trimmed_and_full_text_is_not() -> None:
    body = b"Thanks!\r\n\r\nOn Mon, 2 Mar 2026, Desk <support@desk.example> wrote:\r\n> old\r\n"
    mail = parse_mail(_mail("Subject: Re: x", body=body))
    assert mail.text == "Thanks!"
    assert "> old" in mail.full_text


def test_html_reply_blockquote_is_trimmed() -> None:
    html = (
        b"<div>Works now, thanks.</div><div class=gmail_quote>On Mon, 2 Mar 2026 Desk "
        b"&lt;support@desk.example&gt; wrote:<blockquote><p>Did it work?</p></blockquote></div>"
    )
    mail = parse_mail(_mail("Content-Type: text/html", body=html))
    assert mail.text == "Works now, thanks."
    assert "Did it work?" in mail.full_text


def test_outlook_html_reply_header_block_is_trimmed() -> None:
    html = (
        "<p>Принтер работает.</p><div style='border-top:solid #E1E1E1 1.0pt'>"
        "<p><b>От:</b> Desk &lt;support@desk.example&gt;<br><b>Отправлено:</b> 2 марта 2026 г."
        "<br><b>Кому:</b> Иван<br><b>Тема:</b> Принтер</p></div><p>Раньше</p>"
    ).encode()
    mail = parse_mail(_mail("Content-Type: text/html; charset=utf-8", body=html))
    assert mail.text == "Принтер работает."


# --- machine mail ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "machine"),
    [
        (("Auto-Submitted: auto-replied",), "auto-reply"),
        (("Auto-Submitted: auto-generated; owner-email=x@y",), "auto-reply"),
        (("Auto-Submitted: no",), None),
        (("Auto-Submitted: No (a person)",), None),
        (("X-Autoreply: yes",), "auto-reply"),
        (("X-Autorespond: Out of office",), "auto-reply"),
        (("Precedence: bulk",), "auto-reply"),
        (("Precedence: junk",), "auto-reply"),
        (("Precedence: list",), "auto-reply"),
        (("Precedence: first-class",), None),
        (("X-Auto-Response-Suppress: All",), "auto-reply"),
        # a machine subject counts with another sign (here the empty Return-Path)
        (("Subject: Automatic reply: Printer", "Return-Path: <>"), "auto-reply"),
        (("Subject: Автоответ: Принтер", "Return-Path: <>"), "auto-reply"),
        (("X-Autogenerated: Reply",), "auto-reply"),
        (("Subject: Undeliverable: Printer", "Return-Path: <>"), "bounce"),
        (("Subject: Недоставленное сообщение", "Return-Path: <>"), "bounce"),
        # ... and alone it is a person's
        (("Subject: Automatic reply: Printer",), None),
        (("Subject: Out of office laptop can't reach VPN",), None),
        (("Subject: Undeliverable: Printer",), None),
        (("Subject: Fwd: Undeliverable: Printer",), None),
        (("Subject: Re: Out of office hours support",), None),
        (("Return-Path: <>",), "bounce"),
        (("Return-Path: <ivan@acme.example>",), None),
        (("X-Failed-Recipients: a@b.example",), "bounce"),
        ((), None),
    ],
)
def test_machine_mail_by_headers(headers: tuple[str, ...], machine: str | None) -> None:
    assert parse_mail(_mail(*headers)).machine == machine


@pytest.mark.parametrize(
    ("sender", "subject", "machine"),
    [
        ("noreply-42@service.example", "Your order", "auto-reply"),
        ("no-reply.x@service.example", "Out of office: Printer", "auto-reply"),
        ("nobody@host.example", "Cron <root@host> backup", "auto-reply"),
        ("daemon@host.example", "Undeliverable: Printer", "bounce"),
        ("users-request@lists.example", "confirm 1234", "auto-reply"),
        ("ivan@acme.example", "Out of office laptop can't reach VPN", None),
    ],
)
def test_machine_mail_by_sender(sender: str, subject: str, machine: str | None) -> None:
    raw = f"From: {sender}\r\nSubject: {subject}\r\n\r\nHello\n".encode()
    assert parse_mail(raw).machine == machine


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example", "postmaster@acme.example"])
def test_mail_from_the_mail_system_is_a_bounce(sender: str) -> None:
    raw = f"From: Mail Delivery System <{sender}>\r\nSubject: failure\r\n\r\nx".encode()
    assert parse_mail(raw).machine == "bounce"


def test_delivery_status_report_quotes_the_returned_message() -> None:
    original = (
        b"Content-Type: message/rfc822\r\n\r\n"
        b"From: support@desk.example\r\nMessage-ID: <out-7@desk.example>\r\n"
        b"Subject: [SUP-7] Printer\r\n\r\nour reply\r\n"
    )
    status = b"Content-Type: message/delivery-status\r\n\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    raw = _multipart(
        "multipart/report; report-type=delivery-status",
        b"Content-Type: text/plain\r\n\r\nDelivery failed.\r\n",
        status,
        original,
        headers=(
            "In-Reply-To: <out-7@desk.example>",
            "References: <out-1@desk.example> <out-7@desk.example>",
        ),
    )
    mail = parse_mail(raw)
    assert mail.machine == "bounce"
    assert mail.quoted_ids == ("<out-7@desk.example>", "<out-1@desk.example>")
    assert mail.full_text == "Delivery failed."
    assert [a.name for a in mail.attachments] == ["delivery-status.txt", "message.eml"]
    assert b"<out-7@desk.example>" in mail.attachments[1].data


def test_returned_headers_part_is_quoted() -> None:
    headers_part = (
        b"Content-Type: text/rfc822-headers\r\n\r\n"
        b"From: support@desk.example\r\nMessage-ID: <out-9@desk.example>\r\n"
    )
    raw = _multipart(
        "multipart/report; report-type=delivery-status",
        b"Content-Type: text/plain\r\n\r\nfailed\r\n",
        headers_part,
    )
    assert parse_mail(raw).quoted_ids == ("<out-9@desk.example>",)


def test_read_receipt_is_machine_mail() -> None:
    raw = _multipart(
        "multipart/report; report-type=disposition-notification",
        b"Content-Type: text/plain\r\n\r\nYour message was displayed.\r\n",
        (
            b"Content-Type: message/disposition-notification\r\n\r\n"
            b"Original-Message-ID: <out-2@desk.example>\r\n"
            b"Disposition: manual-action/MDN-sent-manually; displayed\r\n"
        ),
        headers=("In-Reply-To: <out-3@desk.example>",),
    )
    mail = parse_mail(raw)
    assert mail.machine == "auto-reply"
    assert mail.quoted_ids == ("<out-2@desk.example>", "<out-3@desk.example>")


def test_mail_a_person_wrote_quotes_nothing() -> None:
    mail = parse_mail(_mail("In-Reply-To: <out-3@desk.example>"))
    assert mail.machine is None
    assert mail.quoted_ids == ()


def test_is_machine_on_a_standard_library_message() -> None:
    msg = email.message_from_bytes(
        _mail("Auto-Submitted: auto-replied"), policy=email.policy.default
    )
    assert is_machine(msg) == "auto-reply"


# --- hostile shapes ---------------------------------------------------------------------

_HOSTILE = {
    # each would take minutes where a step grows with the square of the input
    "a long line of digits": b"From: a@b.example\n\n" + b"1" * 200_000 + b" wrote:\n",
    "a long line before an address": b"From: a@b.example\n\n" + b"1a" * 100_000 + b"@x.y:\n",
    "lines without indent between headers": (
        b"From: a@b.example\n" + b"line\n" * 100_000 + b"Subject: x\n\nbody\n"
    ),
    "a recipient without an address": b"From: a@b.example\nTo: " + b"a" * 200_000 + b"\n\nx\n",
    "thousands of parameters": (
        b"From: a@b.example\nContent-Type: text/plain\nContent-Disposition: attachment"
        + b"".join(b"; filename*%d*=%%41" % i for i in range(20_000))
        + b"\n\nx\n"
    ),
    "markup nested thousands deep": (
        b"From: a@b.example\nContent-Type: text/html\n\n" + b"<div><p>text</p>" * 20_000
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("raw", list(_HOSTILE.values()), ids=list(_HOSTILE))
def test_hostile_shapes_parse_in_reasonable_time(raw: bytes) -> None:
    started = time.perf_counter()
    mail = parse_mail(raw)
    assert time.perf_counter() - started < 10
    assert mail.raw == raw


def test_markup_too_deep_for_the_html_parser_keeps_its_text() -> None:
    mail = parse_mail(_HOSTILE["markup nested thousands deep"])
    assert mail.full_text.count("text") == 20_000


def test_thousands_of_filename_parts_join_into_one_capped_name() -> None:
    (attachment,) = parse_mail(_HOSTILE["thousands of parameters"]).attachments
    assert attachment.name.startswith("AAAA")
    assert len(attachment.name.encode()) <= NAME_MAX_BYTES


def test_image_pasted_into_the_html_alternative_is_kept() -> None:
    related = (
        b'Content-Type: multipart/related; boundary="REL"\r\n\r\n'
        b"--REL\r\n" + HTML + b"--REL\r\n"
        b"Content-Type: image/png\r\nContent-ID: <img1>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(b"\x89PNG screenshot")
        + b"\r\n--REL--\r\n"
    )
    mail = parse_mail(_multipart("multipart/alternative", PLAIN, related))
    assert mail.full_text == "plain text"
    assert mail.attachments == (Attachment("image.png", "image/png", b"\x89PNG screenshot"),)


def test_message_forwarded_as_attachment_adds_its_text_to_the_full_text() -> None:
    forwarded = (
        b"Content-Type: message/rfc822\r\n\r\n"
        b"From: =?utf-8?B?0JDQvdC90LA=?= <anna@acme.example>\r\nSubject: Printer\r\n"
        b"Message-ID: <orig@acme.example>\r\n\r\nThe printer on floor 2 is down.\r\n"
    )
    mail = parse_mail(_multipart("multipart/mixed", PLAIN, forwarded))
    assert mail.text == "plain text"
    assert mail.full_text == (
        "plain text\n\n---------- Forwarded message ----------\n"
        "From: Анна <anna@acme.example>\nSubject: Printer\n\nThe printer on floor 2 is down."
    )
    assert [a.name for a in mail.attachments] == ["message.eml"]
    assert mail.quoted_ids == ()


# CPython's own e-mail test data, where the interpreter ships its test package: odd but
# valid messages (digests, nested rfc822, broken boundaries) that must all parse.
_CPYTHON = Path(sysconfig.get_paths()["stdlib"]) / "test" / "test_email" / "data"


@pytest.mark.skipif(not _CPYTHON.is_dir(), reason="the Python test package is not installed")
def test_cpython_test_messages_parse_and_keep_their_bytes() -> None:
    parsed = 0
    for path in sorted(_CPYTHON.glob("msg_*.txt")):
        raw = path.read_bytes()
        try:
            mail = parse_mail(raw)
        except MailError:
            # only text that does not start with a header line is no message
            assert not re.match(rb"[!-9;-~]+:", raw), path.name
            continue
        assert mail.raw == raw
        parsed += 1
    assert parsed >= 40


@pytest.mark.parametrize(
    ("address", "machine"),
    [
        ("MAILER-DAEMON@mx.example", True),
        ("mailerdaemon@mx.example", True),
        ("postmaster@acme.example", True),
        ("noreply@service.example", True),
        ("no-reply@service.example", True),
        ("do-not-reply@service.example", True),
        ("DoNotReply@service.example", True),
        ("bounces+12345@list.example", True),
        ("noreply-42@service.example", True),
        ("<noreply@service.example>", True),
        ("ivan@acme.example", False),
        ("postmaster.general@acme.example", True),
        ("replyto@acme.example", False),
        ("norman@acme.example", False),
        ("bouncer-club@acme.example", False),
        ("no-reply.x@service.example", True),
        ("nobody@acme.example", True),
        ("daemon@host.example", True),
        ("users-request@lists.example", True),
        ("owner-list-bounces@lists.example", True),
        ("listserv@lists.example", True),
        ("requester@acme.example", False),
        ("daemonic@acme.example", False),
    ],
)
def test_is_machine_address(address: str, machine: bool) -> None:
    assert is_machine_address(address) is machine


def test_message_that_only_forwards_one_has_the_forward_as_its_text() -> None:
    forwarded = b"Content-Type: message/rfc822\r\n\r\nFrom: anna@acme.example\r\nSubject: Printer\r\n\r\nDown.\r\n"
    mail = parse_mail(_multipart("multipart/mixed", forwarded))
    assert mail.text == mail.full_text
    assert mail.text.endswith("Subject: Printer\n\nDown.")


def test_format_flowed_soft_breaks_are_joined() -> None:
    flowed = (
        "The printer on floor 2 \r\nis down again.\r\n\r\n> Did it \r\n> work?\r\n-- \r\nIvan\r\n"
    )
    assert unflow(flowed) == "The printer on floor 2 is down again.\n\n> Did it work?\n-- \nIvan\n"
    assert unflow("abc \r\ndef", delsp=True) == "abcdef"
    assert unflow(" >not a quote") == ">not a quote"
    raw = _mail("Content-Type: text/plain; charset=utf-8; format=flowed", body=flowed.encode())
    mail = parse_mail(raw)
    assert mail.text == "The printer on floor 2 is down again."


def test_text_without_format_flowed_keeps_its_line_breaks() -> None:
    mail = parse_mail(_mail("Content-Type: text/plain", body=b"one \r\ntwo\r\n"))
    assert mail.full_text == "one\ntwo"


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("koi8-r", True),
        ("KOI8R", True),
        ("win-1251", True),
        ("windows-1251", True),
        ("cp866", True),
        ("x-mac-cyrillic", True),
        ("utf-8", True),
        ("no-such", False),
        ("base64", False),
        ("unknown-8bit", False),
        ("", False),
    ],
)
def test_is_charset(name: str, known: bool) -> None:
    assert is_charset(name) is known
