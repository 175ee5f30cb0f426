"""`alert serve` over real HTTP on 127.0.0.1: the server runs as a process of its own, as
under systemd, and is stopped, killed and started again like one."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest

from supportctl.domain.ids import ticket_path
from supportctl.domain.ticket import read_ticket
from tests.alerttexts import alertmanager_body, am_alert, use_alert_config
from tests.helpers import desk_lock_held, git

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

TOKEN = "s3cret-token"


class Server:
    """`supportctl alert serve` in a process of its own, on a free port."""

    def __init__(self, root: Path, *args: str, token: str | None = TOKEN) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        env.pop("SUPPORTCTL_ALERT_TOKEN", None)
        if token is not None:
            env["SUPPORTCTL_ALERT_TOKEN"] = token
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "supportctl", "--repo", str(root), "alert", "serve"]
            + (list(args) or ["--listen", "127.0.0.1:0"]),
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        assert self.proc.stderr is not None
        first = self.proc.stderr.readline()
        self.lines: list[str] = [first]
        self.port = (
            int(first.split(" listening on 127.0.0.1:")[1].split()[0])
            if (" listening on 127.0.0.1:" in first)
            else 0
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def post(
        self,
        body: bytes,
        path: str = "/alerts",
        token: str | None = TOKEN,
        method: str = "POST",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, json.loads(data) if data else {}

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)


@pytest.fixture
def root(support_repo: Path) -> Path:
    use_alert_config(support_repo)
    return support_repo


@pytest.fixture
def server(root: Path) -> Iterator[Server]:
    s = Server(root)
    assert s.port, s.lines
    yield s
    if s.proc.poll() is None:
        s.kill()


def commits(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD").strip())


def ticket_count(root: Path) -> int:
    return len(list((root / "data" / "tickets").glob("*/*.yaml")))


def test_concurrent_posts_give_one_ticket_per_identity(root: Path, server: Server) -> None:
    before = commits(root)
    bodies = [alertmanager_body(am_alert(f"d{n}")) for n in range(8)]
    bodies += [alertmanager_body(am_alert("same", value=f"{n}s")) for n in range(8)]
    bodies += [alertmanager_body(am_alert("same", value="0s"))] * 4  # retries of one
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(server.post, bodies))
    assert [status for status, _ in answers] == [200] * len(bodies)
    outcomes = [a["results"][0]["outcome"] for _, a in answers]
    assert outcomes[:8] == ["new"] * 8
    same = sorted(outcomes[8:])
    assert same == sorted(["new"] + ["repeat"] * 7 + ["unchanged"] * 4)
    assert ticket_count(root) == 9
    assert commits(root) == before + 16
    tid = next(a["results"][0]["ticket"] for _, a in answers[8:])
    t = read_ticket((root / ticket_path(tid)).read_bytes())
    assert t.alert.count == 8
    assert len(t.comments) == 7  # no note lost
    assert git(root, "status", "--porcelain") == ""
    assert server.stop() == 0
    requests = [line for line in server.lines if " POST /alerts " in line]
    assert len(requests) == len(bodies)
    assert all(" 200 alerts=1 " in line for line in requests)
    assert server.lines[-1].endswith(" stopped\n")


def test_a_server_killed_mid_body_then_the_retry_makes_one_commit(
    root: Path, server: Server
) -> None:
    body = alertmanager_body(am_alert("k1"))
    before = commits(root)
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(
        b"POST /alerts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + TOKEN.encode()
        + b"\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body[:50]
    )
    time.sleep(0.3)
    server.kill()
    sock.close()
    assert commits(root) == before
    again = Server(root)
    try:
        status, answer = again.post(body)
        assert (status, answer["results"][0]["outcome"]) == (200, "new")
        assert commits(root) == before + 1
        status, answer = again.post(body)  # the sender never heard: it sends once more
        assert (status, answer["results"][0]["outcome"]) == (200, "unchanged")
        assert commits(root) == before + 1
    finally:
        again.kill()


def test_a_server_killed_while_it_waits_for_the_lock(root: Path, server: Server) -> None:
    body = alertmanager_body(am_alert("k2"), am_alert("k3"))
    before = commits(root)
    answered: list[object] = []

    def send() -> None:
        try:
            answered.append(server.post(body))
        except (OSError, http.client.HTTPException) as exc:
            answered.append(exc)

    with desk_lock_held(root):
        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(1.0)  # parsed, waiting for the desk's lock
        server.kill()
        sender.join(timeout=30)
    [failure] = answered
    assert isinstance(failure, (OSError, http.client.HTTPException))  # no 2xx: it retries
    assert commits(root) == before
    again = Server(root)
    try:
        status, answer = again.post(body)
        assert status == 200
        assert [r["outcome"] for r in answer["results"]] == ["new", "new"]
        assert commits(root) == before + 2
        assert git(root, "status", "--porcelain") == ""
    finally:
        again.kill()


def test_refusals(root: Path, server: Server) -> None:
    good = alertmanager_body(am_alert("r1"))
    before = commits(root)
    assert server.post(good, token=None) == (401, {"error": "missing bearer token"})
    assert server.post(good, token="s3cret-tokem") == (401, {"error": "wrong token"})
    status, answer = server.post(b'{"alerts": [')
    assert status == 400
    assert answer["error"].startswith("alert payload: not valid JSON")
    status, answer = server.post(good, path="/alerts/grafana")
    assert status == 400
    assert answer["error"].startswith("grafana payload: this is a")
    big = b"x" * (1024 * 1024 + 1)
    assert server.post(big) == (413, {"error": "body of 1,048,577 bytes, more than 1,048,576"})
    assert server.post(good, path="/tickets")[0] == 404
    assert server.post(b"", method="GET")[0] == 405
    assert server.post(b"", method="GET", path="/healthz") == (200, {"status": "ok"})
    assert commits(root) == before
    status, answer = server.post(good, path="/alerts/alertmanager")
    assert (status, answer["alerts"]) == (200, 1)
    assert commits(root) == before + 1
    server.stop()
    logged = [line.split(" ", 2)[2] for line in server.lines[1:-1]]
    assert logged[0].startswith("POST /alerts 401 missing bearer token ")
    assert logged[1].startswith("POST /alerts 401 wrong token ")
    assert logged[4].startswith("POST /alerts 413 body of 1,048,577 bytes")
    assert logged[-1].startswith("POST /alerts/alertmanager 200 alerts=1 new=1 ")


def test_a_body_without_content_length_is_refused(server: Server) -> None:
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(
        b"POST /alerts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + TOKEN.encode()
        + b"\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    )
    reply = sock.recv(4096)
    sock.close()
    assert reply.startswith(b"HTTP/1.1 411 ")


def test_no_token_no_start(root: Path) -> None:
    s = Server(root, token=None)
    assert s.proc.wait(timeout=30) == 2
    assert s.lines[0] == (
        "supportctl: error: no token: set the environment variable SUPPORTCTL_ALERT_TOKEN "
        "(alerts.token_env) to the bearer token senders give, or use --no-auth on a "
        "loopback address\n"
    )
    s = Server(root, "--listen", "0.0.0.0:0", "--no-auth", token=None)
    assert s.proc.wait(timeout=30) == 2
    assert "--no-auth is allowed only on a loopback address" in s.lines[0]
    s = Server(root, "--listen", "127.0.0.1:0", "--no-auth", token=None)
    try:
        assert s.port
        status, answer = s.post(alertmanager_body(am_alert("n1")), token=None)
        assert (status, answer["results"][0]["outcome"]) == (200, "new")
    finally:
        assert s.stop() == 0


def test_connections_beyond_the_limit_get_503_at_once(root: Path, server: Server) -> None:
    from supportctl.cli.alertserver import MAX_CLIENTS

    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(MAX_CLIENTS)]
    try:
        time.sleep(0.5)  # each is accepted and waits for its request
        extra = socket.create_connection(("127.0.0.1", server.port))
        extra.settimeout(10)
        reply = extra.recv(4096)
        extra.close()
        assert reply.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    finally:
        for s in idle:
            s.close()
    time.sleep(0.5)  # the idle ones are let go: their slots are free again
    status, _ = server.post(alertmanager_body(am_alert("after")))
    assert status == 200


def test_alerts_the_sender_left_out_are_logged(root: Path, server: Server) -> None:
    body = json.loads(alertmanager_body(am_alert("t1")))
    body["truncatedAlerts"] = 3
    status, answer = server.post(json.dumps(body).encode())
    assert (status, answer["alerts"]) == (200, 1)
    server.stop()
    assert (
        server.lines[-2]
        .split(" ", 2)[2]
        .startswith(
            "POST /alerts 200 alerts=1 new=1 truncated=3 (left out by the sender, not taken in) "
        )
    )
