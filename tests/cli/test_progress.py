"""A long first history scan shows a progress bar on a terminal, and nothing otherwise."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXE = str(Path(sys.executable).parent / "supportctl")


def _desk(tmp_path: Path) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    out = tmp_path / "desk"
    generate.generate(100, 1500, out, seed=3)
    return out


def test_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    desk = _desk(tmp_path)
    cmd = [EXE, "sla", "check", "--month", "2026-03", "--now", "2026-09-01T00:00:00+00:00"]
    piped = subprocess.run(cmd, cwd=desk, capture_output=True, text=True, check=True)
    assert piped.stderr == ""
    assert "SLA compliance 2026-03" in piped.stdout

    subprocess.run(["rm", "-rf", str(desk / ".git/supportctl")], check=True)  # a cold scan again
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen(cmd, cwd=desk, stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the pty closes when the command exits
            break
        if not chunk:
            break
        shown += chunk
    assert proc.wait() == 0
    os.close(master)
    assert b"reading history" in shown
