"""`alert serve`: the HTTP receiver for monitoring webhooks.

The standard library's threading HTTP server, hardened for a long-running receiver that
faces senders it does not control:
- every connection has a socket timeout (a slow or stalled client is dropped), at most
  MAX_CLIENTS are served at once (more get 503 at once), and the request line and headers
  are capped by `http.server` itself (64 KiB a line, 100 headers);
- the body needs a Content-Length and is refused (413) over `alerts.max_body_bytes`
  before any of it is read;
- the bearer token is compared in constant time;
- a payload is parsed outside the desk's lock, then applied under it (one request at a
  time in this process, and against any other supportctl command through the repo lock);
  the answer is 200 only once every alert of it is committed, and 5xx on any failure, so
  the sender keeps the payload and retries; a retry changes nothing that was committed
  (see ops.alerts);
- SIGTERM and SIGINT stop accepting, let the requests under way finish, then exit 0.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import signal
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from supportctl.cli import out
from supportctl.domain.errors import SupportctlError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from supportctl.ops.alerts import AlertResult
    from supportctl.storage.desk import Desk

FORMATS = ("alertmanager", "grafana", "zabbix", "generic")
# Seconds a client may take for each read of its request (and to take our answer).
CLIENT_TIMEOUT = 15.0
# Connections served at once; the ones beyond wait in the kernel's queue, then get 503.
MAX_CLIENTS = 32


def parse_listen(listen: str) -> tuple[str, int]:
    """`HOST:PORT` (`[::1]:9095` for IPv6; port 0: any free one, said in the first log
    line) as (host, port); UsageError when it is not."""
    host, sep, port = listen.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise UsageError(f"bad --listen {listen!r}: expected HOST:PORT, e.g. 127.0.0.1:9095")
    return host, int(port)


class AlertServer(ThreadingHTTPServer):
    """The receiver: which desk, the token (None: no authentication), the body cap."""

    daemon_threads = False  # a stop waits for the requests under way (block_on_close)
    request_queue_size = 64
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        root: Path,
        token: str | None,
        max_body: int,
        log: Callable[[str], None],
    ) -> None:
        import socket

        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, AlertHandler)
        self.root = root
        self.token = token.encode() if token is not None else None
        self.max_body = max_body
        self.log = log
        self.gate = threading.Lock()
        self.slots = threading.BoundedSemaphore(MAX_CLIENTS)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                    b"Retry-After: 1\r\nConnection: close\r\n\r\n"
                )
            self.shutdown_request(request)
            self.log(f"{_now()} {client_address[0]} - 503 too many connections")
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def apply(self, body: bytes, fmt: str | None) -> tuple[list[AlertResult], int]:
        """Parse and apply one payload (AlertPayloadError when it is not valid); its
        results and how many alerts the sender left out of it (`truncatedAlerts`)."""
        from supportctl.domain.alerts import parse_payload
        from supportctl.ops.alerts import ingest
        from supportctl.storage.desk import Desk

        payload = parse_payload(body, fmt)
        with self.gate:
            # a desk opened per request reads the configuration committed now (a `sync`
            # from a timer may have brought a new one) and its git processes end with it
            desk = Desk(self.root)
            desk.config  # noqa: B018  (a broken configuration is this request's 503)
            return ingest(desk, [payload]), payload.truncated


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class AlertHandler(BaseHTTPRequestHandler):
    server: AlertServer
    protocol_version = "HTTP/1.1"
    server_version = "supportctl"
    sys_version = ""
    timeout = CLIENT_TIMEOUT

    def setup(self) -> None:
        super().setup()
        self._started = time.monotonic()
        self._status = 0
        self._summary = ""

    # -- one log line per request ---------------------------------------------------------
    def handle_one_request(self) -> None:
        self._started = time.monotonic()
        self._status, self._summary = 0, ""
        try:
            super().handle_one_request()
        except TimeoutError:
            self.close_connection = True
            self._status, self._summary = 408, "the client was too slow"
        if self._status:
            ms = (time.monotonic() - self._started) * 1000
            method = getattr(self, "command", None) or "-"
            path = (getattr(self, "path", None) or "-")[:200]
            peer = self.client_address[0]
            summary = f" {self._summary}" if self._summary else ""
            self.server.log(f"{_now()} {peer} {method} {path} {self._status}{summary} {ms:.0f}ms")

    def version_string(self) -> str:
        return self.server_version

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self._status = int(code) if str(code).isdigit() else 0

    def log_message(self, format: str, *args: Any) -> None:
        pass  # every request gets its own line, above

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # the standard library's own refusals (a bad request line, too many headers)
        if not self._summary and message:
            self._summary = message
        super().send_error(code, message, explain)

    # -- answers ----------------------------------------------------------------------------
    def _answer(
        self,
        status: int,
        data: dict[str, Any],
        *,
        close: bool = False,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        body = (json.dumps(data, ensure_ascii=False) + "\n").encode()
        if close:
            self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _refuse(self, status: int, error: str, **kw: Any) -> None:
        self._summary = error
        # the body of a refused request is not read: the connection cannot be reused
        self._answer(status, {"error": error}, close=True, **kw)

    def _route(self) -> tuple[bool, str | None]:
        """(known path, format) for the request's path."""
        path = urlsplit(self.path).path.rstrip("/")
        if path == "/alerts":
            return True, None
        if path.startswith("/alerts/") and path[len("/alerts/") :] in FORMATS:
            return True, path[len("/alerts/") :]
        return False, None

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/healthz":
            self._answer(200, {"status": "ok"})
        elif self._route()[0]:
            self._refuse(405, "use POST", headers=(("Allow", "POST"),))
        else:
            self._refuse(404, "no such path (POST to /alerts or /alerts/FORMAT)")

    def _not_allowed(self) -> None:
        if self._route()[0]:
            self._refuse(405, "use POST", headers=(("Allow", "POST"),))
        elif urlsplit(self.path).path == "/healthz":
            self._refuse(405, "use GET", headers=(("Allow", "GET"),))
        else:
            self._refuse(404, "no such path (POST to /alerts or /alerts/FORMAT)")

    do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _not_allowed

    def do_POST(self) -> None:
        known, fmt = self._route()
        if not known:
            if urlsplit(self.path).path == "/healthz":
                self._refuse(405, "use GET", headers=(("Allow", "GET"),))
            else:
                self._refuse(404, "no such path (POST to /alerts or /alerts/FORMAT)")
            return
        token = self.server.token
        if token is not None:
            scheme, _, given = (self.headers.get("Authorization") or "").strip().partition(" ")
            challenge = (("WWW-Authenticate", 'Bearer realm="supportctl"'),)
            if scheme.lower() != "bearer" or not given.strip():
                self._refuse(401, "missing bearer token", headers=challenge)
                return
            if not hmac.compare_digest(given.strip().encode(), token):
                self._refuse(401, "wrong token", headers=challenge)
                return
        if self.headers.get("Transfer-Encoding"):
            self._refuse(411, "send the body with a Content-Length, not chunked")
            return
        length = (self.headers.get("Content-Length") or "").strip()
        if not length:
            self._refuse(411, "Content-Length required")
            return
        if not length.isdigit():
            self._refuse(400, f"bad Content-Length {length[:40]!r}")
            return
        if int(length) > self.server.max_body:
            self._refuse(413, f"body of {int(length):,} bytes, more than {self.server.max_body:,}")
            return
        body = self.rfile.read(int(length))
        if len(body) < int(length):
            self._refuse(400, "the body is shorter than its Content-Length")
            return
        self._apply(body, fmt)

    def _apply(self, body: bytes, fmt: str | None) -> None:
        from supportctl.domain.errors import AlertPayloadError

        try:
            results, truncated = self.server.apply(body, fmt)
        except AlertPayloadError as exc:
            self._summary = exc.message
            self._answer(400, {"error": exc.message})
            return
        except SupportctlError as exc:
            self._summary = f"not taken in: {exc.message}"
            self._answer(503, {"error": exc.message}, headers=(("Retry-After", "5"),))
            return
        except Exception as exc:  # whatever failed, the sender must keep the payload
            self._summary = f"internal error: {type(exc).__name__}: {exc}"
            self._answer(500, {"error": f"internal error ({type(exc).__name__})"})
            return
        counts: dict[str, int] = {}
        for r in results:
            counts[r.outcome] = counts.get(r.outcome, 0) + 1
        told = " ".join(f"{k}={v}" for k, v in counts.items())
        self._summary = f"alerts={len(results)}" + (f" {told}" if told else "")
        if truncated:
            # alerts the sender never sent: no retry brings them, so the log must say so
            self._summary += f" truncated={truncated} (left out by the sender, not taken in)"
        self._answer(200, {"alerts": len(results), "results": [r.to_dict() for r in results]})


def serve(desk: Desk, listen: str, *, no_auth: bool = False) -> None:
    """Serve until SIGTERM or SIGINT; the requests under way are finished first."""
    from supportctl.config.settings import is_loopback

    host, port = parse_listen(listen)
    settings = desk.config.alerts
    token = os.environ.get(settings.token_env) or None
    if no_auth and not is_loopback(host):
        raise UsageError(
            f"--no-auth is allowed only on a loopback address, not {host}: anyone who "
            "reaches the port could open and resolve tickets"
        )
    if token is None and not no_auth:
        raise UsageError(
            f"no token: set the environment variable {settings.token_env} (alerts.token_env) "
            "to the bearer token senders give, or use --no-auth on a loopback address"
        )
    if no_auth:
        token = None
    try:
        server = AlertServer((host, port), desk.root, token, settings.max_body_bytes, out.log)
    except OSError as exc:
        raise UsageError(f"cannot listen on {listen}: {exc.strerror or exc}") from None

    def stop(signum: int, frame: object) -> None:
        # shutdown() waits for serve_forever to return: it must run in another thread
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    auth = "no authentication" if token is None else f"bearer token from {settings.token_env}"
    bound_host, bound_port = server.server_address[:2]
    if isinstance(bound_host, bytes):
        bound_host = bound_host.decode()
    out.log(f"{_now()} listening on {bound_host}:{bound_port} ({auth})")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()  # joins the request threads still running
    out.log(f"{_now()} stopped")
