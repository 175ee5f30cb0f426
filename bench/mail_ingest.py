#!/usr/bin/env python3
"""Time `supportctl mail ingest` of a generated mbox in batch mode, beside two baselines.

    .venv/bin/python bench/mail_ingest.py                       # 10,000 messages, ~10 min
    .venv/bin/python bench/mail_ingest.py --messages 1000 --work /tmp/mail-bench --json out.json

The mbox (fixed seed: the same arguments give the same bytes) mixes what a desk's inbox
holds: new requests from customers' contacts and domains and a few strangers, replies that
thread by In-Reply-To with the quoted history below them, Cyrillic text in UTF-8, KOI8-R,
windows-1251 and undeclared 8-bit KOI8-R/cp1251 (RFC 2047 subjects included), auto-replies
(RFC 3834) and attachments. A fresh desk (`supportctl init` plus a `mail:` section and the
customers' domains and contacts) ingests it with one `supportctl mail ingest FILE` process.

While it runs, the messages done and the CPU spent are sampled (`--progress`, every 60 s):
the table of windows shows whether the cost per message grows with the desk.

Printed beside it, per message:
* `parse only`: Python's email parser reading every message and its text body, the floor
  of any intake in Python;
* `git commit per message`: a shell-style loop writing each raw message into a repo and
  running `git add` + `git commit` for it, on the first --baseline-messages messages: the
  floor of "one commit per message" done with git commands.
Repo growth is the size of `.git` after `git gc`, less the fresh desk's, per message.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import hashlib
import itertools
import json
import mailbox
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

DESK_ADDRESS = "support@desk.example"
START = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)
CUSTOMERS = {
    # key: (domain, contacts)
    "acme": ("acme.example", [("Иван Петров", "ivan"), ("Olga Smirnova", "olga")]),
    "globex": ("globex.example", [("Hank Scorpio", "hank"), ("Мария Кузнецова", "maria")]),
}
MAIL_CONFIG = f"""
mail:
  address: {DESK_ADDRESS}
  unknown_sender: quarantine
  reopen_days: 14
"""

SUBJECTS_EN = [
    "Printer on the third floor prints blank pages",
    "VPN disconnects every 10 minutes",
    "Cannot log in to the billing portal",
    "Invoice export fails with error 500",
    "Please add a new user account",
    "Backup job did not run last night",
    "Mail server rejects attachments over 5 MB",
]
SUBJECTS_RU = [
    "Не работает принтер в бухгалтерии",
    "Ошибка при выгрузке счетов в 1С",
    "Прошу восстановить доступ к порталу",
    "Медленно открывается CRM",
    "Не приходят уведомления на почту",
    "Сбой резервного копирования",
]
BODY_EN = [
    "Hello,\n\nsince this morning {what}. We restarted it twice, no change.\n"
    "Could you have a look today?\n\nThanks,\n{name}\n",
    "Hi team,\n\n{what} again. It started after the update on Monday.\n"
    "Screenshot attached if it helps.\n\nBest regards,\n{name}\n",
]
BODY_RU = [
    "Добрый день!\n\nС утра {what}. Перезагрузка не помогла.\n"
    "Посмотрите, пожалуйста, сегодня.\n\nС уважением,\n{name}\n",
    "Здравствуйте.\n\nСнова {what}, как и на прошлой неделе.\n"
    "Прошу срочно помочь: стоит работа отдела.\n\n--\n{name}\nтел. +7 495 000-00-00\n",
]
REPLY_EN = "Thanks, it works now after the restart. One more question: {what}?\n"
REPLY_RU = "Спасибо, заработало. Но остался вопрос: {what}?\n"
WHAT_EN = ["the printer prints blank pages", "the VPN drops", "the export fails"]
WHAT_RU = ["принтер печатает пустые листы", "VPN отключается", "выгрузка падает с ошибкой"]


@dataclass
class Thread:
    subject: str
    ids: list[str]
    sender: tuple[str, str]  # name, address
    russian: bool


class Inbox:
    """The generated messages, in arrival order."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.threads: list[Thread] = []
        self.n = 0
        self.kinds: dict[str, int] = {}

    def _id(self, domain: str) -> str:
        self.n += 1
        return f"<{self.n:06d}.{self.rng.randrange(16**8):08x}@{domain}>"

    def _when(self) -> datetime:
        return START + timedelta(minutes=3 * self.n + self.rng.randrange(3))

    def _sender(self) -> tuple[str, str, bool]:
        if self.rng.random() < 0.04:  # a stranger: quarantined
            k = self.rng.randrange(1000)
            return f"Stranger {k}", f"user{k}@stranger{k % 7}.example", False
        key = self.rng.choice(list(CUSTOMERS))
        domain, contacts = CUSTOMERS[key]
        if self.rng.random() < 0.6:
            name, local = self.rng.choice(contacts)
        else:  # anyone else at the customer's domain
            local = f"staff{self.rng.randrange(200)}"
            name = local.capitalize()
        russian = any("А" <= ch <= "я" for ch in name) or self.rng.random() < 0.3
        return name, f"{local}@{domain}", russian

    def _charset(self, russian: bool) -> str:
        if not russian:
            return "utf-8"
        return self.rng.choices(
            ["utf-8", "koi8-r", "windows-1251", "8bit-koi8-r", "8bit-cp1251"],
            weights=[40, 20, 20, 10, 10],
        )[0]

    def _headers(self, msg: EmailMessage, name: str, addr: str, subject: str, mid: str) -> None:
        msg["From"] = f"{Header(name, 'utf-8').encode()} <{addr}>"
        msg["To"] = DESK_ADDRESS
        msg["Subject"] = subject
        msg["Date"] = format_datetime(self._when())
        msg["Message-ID"] = mid

    def _text(self, text: str, charset: str, subject: str, headers: dict[str, str]) -> bytes:
        """A single-part message in `charset`; the 8bit-* ones declare no charset at all."""
        if charset.startswith("8bit-"):
            enc = charset.removeprefix("8bit-")
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            subj = Header(subject, "koi8-r" if enc == "koi8-r" else "windows-1251").encode()
            return (
                f"{head}Subject: {subj}\r\nMIME-Version: 1.0\r\n"
                "Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            ).encode("ascii") + text.replace("\n", "\r\n").encode(enc)
        msg = EmailMessage()
        for k, v in headers.items():
            msg[k] = v
        msg["Subject"] = Header(subject, charset).encode() if charset != "utf-8" else subject
        msg.set_content(text, charset=charset)
        return msg.as_bytes()

    def new_request(self, attachment: bool) -> bytes:
        name, addr, russian = self._sender()
        subject = self.rng.choice(SUBJECTS_RU if russian else SUBJECTS_EN)
        what = self.rng.choice(WHAT_RU if russian else WHAT_EN)
        body = self.rng.choice(BODY_RU if russian else BODY_EN).format(what=what, name=name)
        mid = self._id(addr.split("@")[1])
        self.threads.append(Thread(subject, [mid], (name, addr), russian))
        headers = {
            "From": f"{Header(name, 'utf-8').encode()} <{addr}>",
            "To": DESK_ADDRESS,
            "Date": format_datetime(self._when()),
            "Message-ID": mid,
        }
        if not attachment:
            self.kinds["new"] = self.kinds.get("new", 0) + 1
            return self._text(body, self._charset(russian), subject, headers)
        self.kinds["new+attachment"] = self.kinds.get("new+attachment", 0) + 1
        msg = EmailMessage()
        for k, v in headers.items():
            msg[k] = v
        msg["Subject"] = subject
        msg.set_content(body)
        size = self.rng.randrange(5_000, 60_000)
        data = self.rng.randbytes(size)
        filename = self.rng.choice(["screenshot.png", "ошибка.png", "log.txt", "счёт №12.pdf"])
        maintype, subtype = {
            "png": ("image", "png"),
            "txt": ("application", "octet-stream"),
            "pdf": ("application", "pdf"),
        }[filename.rsplit(".", 1)[1]]
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
        return msg.as_bytes()

    def reply(self) -> bytes:
        thread = self.rng.choice(self.threads[-300:])
        name, addr = thread.sender
        what = self.rng.choice(WHAT_RU if thread.russian else WHAT_EN)
        new = (REPLY_RU if thread.russian else REPLY_EN).format(what=what)
        attribution = (
            f"{self._when():%d.%m.%Y %H:%M}, Служба поддержки пишет:"
            if thread.russian
            else f"On {self._when():%a, %d %b %Y at %H:%M}, Support wrote:"
        )
        quoted = "\n".join(
            f"> {line}" for line in ["Please restart it and tell us.", "", "--", "Support"]
        )
        body = f"{new}\n{attribution}\n{quoted}\n"
        mid = self._id(addr.split("@")[1])
        prefix = self.rng.choice(
            ["Re: ", "RE: ", "Отв: ", "Re[2]: "] if thread.russian else ["Re: ", "RE: ", "AW: "]
        )
        headers = {
            "From": f"{Header(name, 'utf-8').encode()} <{addr}>",
            "To": DESK_ADDRESS,
            "Date": format_datetime(self._when()),
            "Message-ID": mid,
            "In-Reply-To": thread.ids[-1],
            "References": " ".join(thread.ids[-5:]),
        }
        thread.ids.append(mid)
        self.kinds["reply"] = self.kinds.get("reply", 0) + 1
        return self._text(body, self._charset(thread.russian), prefix + thread.subject, headers)

    def auto_reply(self) -> bytes:
        thread = self.rng.choice(self.threads[-300:])
        name, addr = thread.sender
        msg = EmailMessage()
        self._headers(
            msg,
            name,
            addr,
            ("Автоответ: " if thread.russian else "Out of office: ") + thread.subject,
            self._id(addr.split("@")[1]),
        )
        msg["In-Reply-To"] = thread.ids[-1]
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Autoreply"] = "yes"
        msg.set_content(
            "Я в отпуске до понедельника.\n" if thread.russian else "I am out until Monday.\n"
        )
        self.kinds["auto-reply"] = self.kinds.get("auto-reply", 0) + 1
        return msg.as_bytes()

    def next(self) -> bytes:
        r = self.rng.random()
        if not self.threads or r < 0.40:
            return self.new_request(attachment=False)
        if r < 0.50:
            return self.new_request(attachment=True)
        if r < 0.94:
            return self.reply()
        return self.auto_reply()


def generate(path: Path, count: int, seed: int) -> tuple[list[bytes], dict[str, int]]:
    inbox = Inbox(seed)
    raws = [inbox.next() for _ in range(count)]
    path.unlink(missing_ok=True)
    box = mailbox.mbox(str(path), create=True)
    box.lock()
    try:
        for raw in raws:
            box.add(raw)
    finally:
        box.flush()
        box.unlock()
        box.close()
    return raws, inbox.kinds


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def git_size(repo: Path) -> int:
    git(repo, "gc", "-q")
    return sum(p.stat().st_size for p in (repo / ".git").rglob("*") if p.is_file())


def make_desk(root: Path) -> None:
    from supportctl.ops.init import init_repo

    init_repo(root)
    config = (root / "supportctl.yaml").read_text(encoding="utf-8")
    for key, (domain, contacts) in CUSTOMERS.items():
        listed = ", ".join(
            f"{{email: {local}@{domain}, name: {name}, reports: true}}" for name, local in contacts
        )
        config = config.replace(
            f"  {key}:\n",
            f"  {key}:\n    domains: [{domain}]\n    contacts: [{listed}]\n",
            1,
        )
    (root / "supportctl.yaml").write_text(config + MAIL_CONFIG, encoding="utf-8")
    git(root, "add", "supportctl.yaml")
    git(root, "commit", "-qm", "Mail configuration")


@dataclass
class Row:
    what: str
    messages: int
    wall_s: float
    cpu_s: float

    @property
    def per_second(self) -> float:
        return self.messages / self.wall_s if self.wall_s else float("inf")


@dataclass
class Sample:
    """The ingest `at` seconds in: messages done (its JSON lines) and CPU seconds spent (its
    own and its finished git children's, from /proc)."""

    at: float
    messages: int
    cpu_s: float


def _cpu_of(pid: int) -> float | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # utime, stime, cutime, cstime
    return sum(int(x) for x in stat[11:15]) / os.sysconf("SC_CLK_TCK")


def windows(samples: list[Sample]) -> list[tuple[Sample, float, float]]:
    """(window end, messages/s, CPU ms per message) between successive samples."""
    out = []
    for a, b in itertools.pairwise(samples):
        done = b.messages - a.messages
        if done > 0:
            out.append((b, done / (b.at - a.at), 1000 * (b.cpu_s - a.cpu_s) / done))
    return out


def run_ingest(
    desk: Path, mbox: Path, code: Path, every: float = 60.0
) -> tuple[Row, str, list[Sample]]:
    exe = Path(sys.executable).parent / "supportctl"
    env = {**os.environ, "PYTHONPATH": str(code)}
    env.pop("SUPPORTCTL_REPO", None)
    out, err = desk.parent / "ingest.out", desk.parent / "ingest.err"
    with out.open("wb") as fh, err.open("wb") as eh:
        t0 = time.perf_counter()
        p = subprocess.Popen(
            [str(exe), "--repo", str(desk), "mail", "ingest", "--json", str(mbox)],
            cwd=desk,
            env=env,
            stdout=fh,
            stderr=eh,
        )
        samples = [Sample(0.0, 0, 0.0)]
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.5)
            now = time.perf_counter() - t0
            if now - samples[-1].at >= every:
                cpu = _cpu_of(p.pid)
                if cpu is not None:
                    samples.append(Sample(now, out.read_bytes().count(b"\n"), cpu))
        wall = time.perf_counter() - t0
    code_ = os.waitstatus_to_exitcode(status)
    if code_ != 0:
        raise SystemExit(f"mail ingest exited {code_}:\n{err.read_text()[-3000:]}")
    cpu = ru.ru_utime + ru.ru_stime
    text = out.read_text()
    samples.append(Sample(wall, text.count("\n"), cpu))
    return Row("supportctl mail ingest (batch)", 0, wall, cpu), text, samples


def parse_only(raws: list[bytes]) -> Row:
    t0, c0 = time.perf_counter(), time.process_time()
    for raw in raws:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
        if body is not None:
            try:
                body.get_content()
            except (LookupError, UnicodeError):
                body.get_payload(decode=True)
        str(msg["subject"])
    return Row(
        "parse only (email.message_from_bytes)",
        len(raws),
        time.perf_counter() - t0,
        time.process_time() - c0,
    )


def commit_per_message(raws: list[bytes], work: Path) -> Row:
    repo = work / "commit-baseline"
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    git(repo, "init", "-q")
    git(repo, "config", "user.name", "Bench")
    git(repo, "config", "user.email", "bench@desk.example")
    cpu0 = os.times()
    t0 = time.perf_counter()
    for raw in raws:
        digest = hashlib.sha256(raw).hexdigest()[:40]
        path = Path("data/mail") / digest[:2] / f"{digest}.eml"
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_bytes(raw)
        subprocess.run(["git", "add", str(path)], cwd=repo, check=True)
        subprocess.run(["git", "commit", "-qm", f"Mail {digest[:12]}"], cwd=repo, check=True)
    wall = time.perf_counter() - t0
    cpu1 = os.times()
    cpu = (cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system)
    return Row("git add + git commit per message", len(raws), wall, cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--messages", type=int, default=10_000)
    ap.add_argument("--baseline-messages", type=int, default=1_000)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--work", type=Path, default=None, help="folder to keep (default: a tmp one)")
    ap.add_argument("--code", type=Path, default=ROOT, help="the supportctl checkout to time")
    ap.add_argument("--json", type=Path, default=None, help="write the numbers here too")
    ap.add_argument(
        "--progress", type=float, default=60.0, help="seconds between samples of the ingest"
    )
    args = ap.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="mail-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    desk = work / "desk"
    shutil.rmtree(desk, ignore_errors=True)
    mbox = work / "inbox.mbox"
    raws, kinds = generate(mbox, args.messages, args.seed)
    make_desk(desk)
    before = git_size(desk)

    ingest, output, samples = run_ingest(desk, mbox, args.code.resolve(), args.progress)
    results = [json.loads(line) for line in output.splitlines() if line.strip()]  # JSON lines
    ingest.messages = len(raws)
    outcomes: dict[str, int] = {}
    for r in results:
        outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    commits = int(git(desk, "rev-list", "--count", "HEAD"))
    after = git_size(desk)

    parsed = parse_only(raws)
    committed = commit_per_message(raws[: args.baseline_messages], work)

    print(
        f"{len(raws):,} messages ({mbox.stat().st_size / 2**20:.1f} MiB mbox): "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    )
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    print(f"commits: {commits:,} ({commits - 2:,} by the ingest)\n")
    print("| what | messages | wall s | CPU s | messages/s | ingest's wall per message ÷ this |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in (ingest, committed, parsed):
        ratio = (ingest.wall_s / ingest.messages) / (row.wall_s / row.messages)
        print(
            f"| {row.what} | {row.messages:,} | {row.wall_s:.1f} | {row.cpu_s:.1f} "
            f"| {row.per_second:,.1f} | {ratio:.2f} |"
        )
    print("\n| ingest window ending at | messages done | messages/s | CPU ms per message |")
    print("|---:|---:|---:|---:|")
    for end, rate, cpu_ms in windows(samples):
        print(f"| {end.at:,.0f} s | {end.messages:,} | {rate:,.1f} | {cpu_ms:,.1f} |")
    growth = (after - before) / len(raws)
    raw_mean = sum(len(r) for r in raws) / len(raws)
    print(
        f"\nrepo growth: .git {before / 2**20:.2f} MiB -> {after / 2**20:.2f} MiB after git gc, "
        f"{growth / 1024:.1f} KiB per message (raw message {raw_mean / 1024:.1f} KiB on average, "
        f"{growth / raw_mean:.2f}x)"
    )
    goal = "met" if ingest.per_second >= 20 else "NOT met"
    print(f"goal >= 20 messages/s: {goal} ({ingest.per_second:.1f}/s)")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "messages": len(raws),
                    "kinds": kinds,
                    "outcomes": outcomes,
                    "commits": commits,
                    "rows": [
                        asdict(r) | {"per_second": r.per_second}
                        for r in (ingest, committed, parsed)
                    ],
                    "git_bytes_before": before,
                    "git_bytes_after": after,
                    "growth_bytes_per_message": growth,
                    "samples": [asdict(x) for x in samples],
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
