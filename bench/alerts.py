#!/usr/bin/env python3
"""Time the monitoring channel: N alert notifications for M alert identities through
`supportctl alert ingest` and through `supportctl alert serve`, beside two baselines.

    .venv/bin/python bench/alerts.py                         # 10,000 for 500 identities
    .venv/bin/python bench/alerts.py --notifications 2000 --identities 100 --json out.json

The notifications (fixed seed: the same arguments give the same bytes) are Alertmanager
version 4 webhook bodies of `--group` alerts each. Each identity goes through a life of
N/M notifications: firing, repeats whose value changes (each an internal note), resolved
(the ticket is resolved), firing again (reopened: within `reopen_minutes`), repeats, and
a last notification sent twice (a sender's retry: `unchanged`). Identities interleave
at random, each keeping its own order.

Measured, each on a fresh desk (`supportctl init` plus an `alerts:` route):
* `ingest (one process)`: one `supportctl alert ingest FILE...` over every payload;
* `ingest (process per payload)`: one process per payload, as a Zabbix media script or a
  pipe would run it, on the first --process-payloads payloads;
* `serve`: `supportctl alert serve` on 127.0.0.1, the payloads POSTed by --clients
  concurrent senders (keep-alive connections), every answer checked to be 200;
and as baselines:
* `parse only`: `parse_payload` of every payload, the floor of any intake here;
* `git commit per notification`: a shell-style loop writing a file and running
  `git add` + `git commit` per notification, on the first --baseline notifications.
Commits made are counted with `git rev-list --count`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from queue import Empty, Queue

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

TOKEN = "bench-token"
START = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
ALERTS_CONFIG = """
alerts:
  reopen_minutes: 600
  routes:
    - matchers: ['customer="acme"']
      customer: acme
    - matchers: ['customer="globex"']
      customer: globex
      auto_resolve: false
"""


@dataclass
class Row:
    what: str
    notifications: int
    seconds: float
    commits: int

    @property
    def per_second(self) -> float:
        return self.notifications / self.seconds if self.seconds else 0.0


def _time(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def lives(identities: int, per_identity: int, seed: int) -> list[dict[str, object]]:
    """Every notification, in the order sent: each identity's life, interleaved."""
    rng = random.Random(seed)
    queues: list[list[dict[str, object]]] = []
    for n in range(identities):
        fp = f"{n:016x}"
        customer = "acme" if n % 4 else "globex"
        labels = {
            "alertname": rng.choice(["HighLatency", "DiskFull", "Down", "ErrorRate"]),
            "instance": f"host-{n}.example:9100",
            "severity": rng.choice(["critical", "warning", "critical"]),
            "customer": customer,
            "service": rng.choice(["shop", "api", "db"]),
        }
        started = START + timedelta(minutes=n % 300)
        resolve_at = per_identity // 2
        life: list[dict[str, object]] = []
        for k in range(per_identity - 1):
            firing = k != resolve_at
            begin = started if k < resolve_at else started + timedelta(hours=1)
            life.append(
                {
                    "status": "firing" if firing else "resolved",
                    "labels": labels,
                    "annotations": {"summary": f"{labels['alertname']}: value {k}.{n % 10}"},
                    "startsAt": _time(begin),
                    "endsAt": _time(started + timedelta(minutes=30))
                    if not firing
                    else "0001-01-01T00:00:00Z",
                    "generatorURL": f'http://prometheus.example/graph?g0.expr=up{{n="{n}"}}',
                    "fingerprint": fp,
                }
            )
        life.append(life[-1])  # the sender's retry
        queues.append(life)
    order: list[dict[str, object]] = []
    live = [q for q in queues if q]
    while live:
        q = rng.choice(live)
        order.append(q.pop(0))
        if not q:
            live.remove(q)
    return order


def lane(fingerprint: object, lanes: int) -> int:
    """The sender an identity's notifications go through (as an Alertmanager group goes
    to one webhook sender, which sends them in order)."""
    return int(str(fingerprint), 16) % lanes


def payloads(notifications: list[dict[str, object]], group: int, lanes: int) -> list[bytes]:
    """Alertmanager bodies of `group` alerts each, all of one lane; an identity appears
    once per body (a group holds each alert once)."""
    bodies: list[bytes] = []
    for n in range(lanes):
        mine = [a for a in notifications if lane(a["fingerprint"], lanes) == n]
        bodies += _bodies(mine, group)
    return bodies


def _bodies(notifications: list[dict[str, object]], group: int) -> list[bytes]:
    bodies: list[bytes] = []
    current: list[dict[str, object]] = []
    held: set[object] = set()

    def flush() -> None:
        if current:
            status = "firing" if any(a["status"] == "firing" for a in current) else "resolved"
            body = {
                "version": "4",
                "groupKey": "{}:{}",
                "truncatedAlerts": 0,
                "status": status,
                "receiver": "supportctl",
                "groupLabels": {},
                "commonLabels": {},
                "commonAnnotations": {},
                "externalURL": "http://alertmanager.example:9093",
                "alerts": list(current),
            }
            bodies.append(json.dumps(body).encode())
            current.clear()
            held.clear()

    for alert in notifications:
        if alert["fingerprint"] in held or len(current) >= group:
            flush()
        current.append(alert)
        held.add(alert["fingerprint"])
    flush()
    return bodies


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def commits(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD").strip())


def supportctl(*args: str) -> list[str]:
    return [sys.executable, "-m", "supportctl", *args]


def env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@desk.example",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@desk.example",
        "SUPPORTCTL_ALERT_TOKEN": TOKEN,
    }


def make_desk(root: Path) -> int:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    subprocess.run(
        supportctl("--repo", str(root), "init"),
        check=True,
        env=env(),
        cwd=root,
        capture_output=True,
    )
    with (root / "supportctl.yaml").open("a", encoding="utf-8") as fh:
        fh.write(ALERTS_CONFIG)
    git(root, "-c", "user.name=Bench", "-c", "user.email=b@x", "commit", "-qam", "alerts")
    git(root, "config", "gc.auto", "0")
    return commits(root)


def write_files(bodies: list[bytes], folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i, body in enumerate(bodies):
        path = folder / f"{i:06d}.json"
        path.write_bytes(body)
        names.append(str(path))
    return names


def run_ingest(desk: Path, files: list[str], count: int) -> Row:
    before = make_desk(desk)
    started = time.perf_counter()
    done = subprocess.run(
        supportctl("--repo", str(desk), "alert", "ingest", *files, "--json"),
        env=env(),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"alert ingest failed ({done.returncode}): {done.stderr[-2000:]}")
    return Row("ingest (one process)", count, seconds, commits(desk) - before)


def run_ingest_per_payload(desk: Path, files: list[str], count: int) -> Row:
    before = make_desk(desk)
    started = time.perf_counter()
    for path in files:
        done = subprocess.run(
            supportctl("--repo", str(desk), "alert", "ingest", path),
            env=env(),
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"alert ingest {path} failed: {done.stderr[-2000:]!r}")
    seconds = time.perf_counter() - started
    return Row(
        f"ingest (process per payload, {len(files)} payloads)",
        count,
        seconds,
        commits(desk) - before,
    )


def run_serve(desk: Path, bodies: list[bytes], count: int, clients: int) -> Row:
    before = make_desk(desk)
    proc = subprocess.Popen(
        supportctl("--repo", str(desk), "alert", "serve", "--listen", "127.0.0.1:0"),
        env=env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()
    if " listening on 127.0.0.1:" not in first:
        raise SystemExit(f"alert serve did not start: {first}")
    port = int(first.rsplit(":", 1)[1].split()[0])
    drain = threading.Thread(target=lambda: [None for _ in proc.stderr or ()], daemon=True)
    drain.start()
    # one identity's notifications must arrive in order: each sender owns one lane
    work: list[Queue[bytes]] = [Queue() for _ in range(clients)]
    for body in bodies:
        work[lane(json.loads(body)["alerts"][0]["fingerprint"], clients)].put(body)
    failures: list[str] = []

    def sender(queue: Queue[bytes]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            try:
                body = queue.get_nowait()
            except Empty:
                break
            for attempt in range(5):
                try:
                    conn.request(
                        "POST",
                        "/alerts",
                        body=body,
                        headers={"Authorization": f"Bearer {TOKEN}"},
                    )
                    response = conn.getresponse()
                    response.read()
                    if response.getheader("Connection", "").lower() == "close":
                        conn.close()
                    if response.status == 200:
                        break
                    failures.append(f"{response.status}")
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    failures.append(repr(exc))
                time.sleep(0.1 * (attempt + 1))
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=sender, args=(q,)) for q in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    if failures:
        print(f"serve: {len(failures)} retried answers, e.g. {failures[:3]}", file=sys.stderr)
    return Row(f"serve ({clients} senders)", count, seconds, commits(desk) - before)


def parse_only(bodies: list[bytes], count: int) -> Row:
    from supportctl.domain.alerts import parse_payload

    started = time.perf_counter()
    for body in bodies:
        parse_payload(body)
    return Row("parse only (baseline)", count, time.perf_counter() - started, 0)


def commit_per_notification(work: Path, notifications: list[dict[str, object]]) -> Row:
    repo = work / "commit-baseline"
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    git(repo, "init", "-q")
    git(repo, "config", "user.name", "Bench")
    git(repo, "config", "user.email", "bench@desk.example")
    git(repo, "config", "gc.auto", "0")
    started = time.perf_counter()
    for i, alert in enumerate(notifications):
        path = repo / f"{alert['fingerprint']}.json"
        path.write_text(json.dumps(alert), encoding="utf-8")
        git(repo, "add", path.name)
        git(repo, "commit", "-qm", f"notification {i}")
    seconds = time.perf_counter() - started
    return Row("git commit per notification (baseline)", len(notifications), seconds, commits(repo))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--notifications", type=int, default=10_000)
    ap.add_argument("--identities", type=int, default=500)
    ap.add_argument("--group", type=int, default=10, help="alerts per payload (at most)")
    ap.add_argument("--clients", type=int, default=4, help="concurrent senders for serve")
    ap.add_argument("--process-payloads", type=int, default=200)
    ap.add_argument("--baseline", type=int, default=1_000)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--only", choices=("ingest", "process", "serve", "baselines"), nargs="*")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="alerts-bench-"))
    per_identity = max(4, args.notifications // args.identities)
    notifications = lives(args.identities, per_identity, args.seed)
    bodies = payloads(notifications, args.group, args.clients)
    files = write_files(bodies, work / "payloads")
    count = len(notifications)
    print(
        f"{count:,} notifications for {args.identities:,} identities in {len(bodies):,} "
        f"payloads (at most {args.group} alerts each); work folder {work}",
        flush=True,
    )
    only = set(args.only or ("ingest", "process", "serve", "baselines"))
    rows: list[Row] = []
    if "ingest" in only:
        rows.append(run_ingest(work / "desk-ingest", files, count))
        print(_line(rows[-1]), flush=True)
    if "process" in only:
        some = files[: args.process_payloads]
        some_count = sum(len(json.loads(Path(f).read_bytes())["alerts"]) for f in some)
        rows.append(run_ingest_per_payload(work / "desk-process", some, some_count))
        print(_line(rows[-1]), flush=True)
    if "serve" in only:
        rows.append(run_serve(work / "desk-serve", bodies, count, args.clients))
        print(_line(rows[-1]), flush=True)
    if "baselines" in only:
        rows.append(parse_only(bodies, count))
        print(_line(rows[-1]), flush=True)
        rows.append(commit_per_notification(work, notifications[: args.baseline]))
        print(_line(rows[-1]), flush=True)
    print()
    print(f"{'what':<48} {'notifications':>13} {'seconds':>9} {'per second':>11} {'commits':>8}")
    for row in rows:
        print(_line(row))
    if args.json:
        args.json.write_text(
            json.dumps([asdict(r) | {"per_second": round(r.per_second, 1)} for r in rows], indent=2)
            + "\n",
            encoding="utf-8",
        )


def _line(row: Row) -> str:
    return (
        f"{row.what:<48} {row.notifications:>13,} {row.seconds:>9.1f} "
        f"{row.per_second:>11.1f} {row.commits:>8,}"
    )


if __name__ == "__main__":
    main()
