"""bench/alerts.py: the notifications it sends keep each identity's order, through every
lane and payload, and a small run makes the commits its lives call for."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def bench() -> Any:
    spec = importlib.util.spec_from_file_location("alerts_bench", ROOT / "bench" / "alerts.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def test_payloads_keep_each_identitys_life_in_order() -> None:
    b = bench()
    sent = b.lives(6, 8, seed=3)
    assert len(sent) == 48
    one = [a for a in sent if a["fingerprint"] == f"{2:016x}"]
    assert [a["status"] for a in one] == ["firing"] * 4 + ["resolved"] + ["firing"] * 3
    assert one[-1] == one[-2]  # the retry
    bodies = [json.loads(x)["alerts"] for x in b.payloads(sent, 4, 3)]
    assert all(len(alerts) <= 4 for alerts in bodies)
    for alerts in bodies:
        fps = [a["fingerprint"] for a in alerts]
        assert len(set(fps)) == len(fps)
        assert len({b.lane(fp, 3) for fp in fps}) == 1
    flat = [a for alerts in bodies for a in alerts]
    for n in range(6):
        fp = f"{n:016x}"
        assert [a for a in flat if a["fingerprint"] == fp] == [
            a for a in sent if a["fingerprint"] == fp
        ]


@pytest.mark.slow
def test_a_small_run_counts_the_commits(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "alerts.py"),
            *("--notifications", "40", "--identities", "5", "--clients", "2"),
            *("--only", "ingest", "serve", "--work", str(tmp_path / "w"), "--json", str(out)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    rows = json.loads(out.read_text())
    # each identity: 8 notifications, the last a retry: 7 commits
    assert [(row["notifications"], row["commits"]) for row in rows] == [(40, 35), (40, 35)]
