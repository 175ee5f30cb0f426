"""scripts/ensure-dovecot: waits for a busy apt, keeps the service off, and under CI=true a
missing dovecot is a failure.

The script is run for real with bash; only the system commands it calls (`id`, `apt-get`) are
stand-ins on PATH and its sbin folder is a tmp folder, so nothing is installed and no root is
needed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ensure-dovecot"


def _bin(tmp_path: Path, **scripts: str) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name, body in scripts.items():
        path = folder / name.replace("_", "-")
        path.write_text("#!/bin/sh\n" + body + "\n")
        path.chmod(0o755)
    return folder


def _run(tmp_path: Path, folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # Only the stand-ins and the basic tools the script needs; never the machine's dovecot.
    for tool in ("date", "sleep", "cat", "printf", "chmod", "rm"):
        real = shutil.which(tool)
        if real and not (folder / tool).exists():
            (folder / tool).symlink_to(real)
    sbin = tmp_path / "sbin"
    sbin.mkdir(exist_ok=True)
    full = {"PATH": str(folder), "HOME": str(tmp_path), "SUPPORTCTL_SBIN": str(sbin), **env}
    return subprocess.run(
        ["/bin/bash", str(SCRIPT)],
        capture_output=True,
        text=True,
        env=full,
        timeout=60,
        check=False,
    )


def test_present_dovecot_is_enough(tmp_path: Path) -> None:
    folder = _bin(tmp_path, id="echo 1000", dovecot="exit 0")
    result = _run(tmp_path, folder, CI="true")
    assert (result.returncode, result.stderr) == (0, "")


def test_not_root_skips_for_a_developer(tmp_path: Path) -> None:
    folder = _bin(tmp_path, id="echo 1000")
    result = _run(tmp_path, folder)
    assert result.returncode == 0
    assert "the IMAP tests will be skipped" in result.stderr


def test_not_root_fails_under_ci(tmp_path: Path) -> None:
    folder = _bin(tmp_path, id="echo 1000")
    result = _run(tmp_path, folder, CI="true")
    assert result.returncode == 1
    assert result.stderr.startswith("error: dovecot is not installed and cannot be installed here")
    assert "CI=true needs the IMAP tests to run" in result.stderr


def test_a_busy_apt_is_waited_for_and_the_service_stays_off(tmp_path: Path) -> None:
    # apt-get fails twice, as it does while another process holds its lock, then installs
    # dovecot into sbin; while it runs, a policy-rc.d there forbids starting services.
    counter, policy = tmp_path / "tries", tmp_path / "policy-during-install"
    sbin = tmp_path / "sbin"
    folder = _bin(
        tmp_path,
        id="echo 0",
        apt_get=(
            f"n=$(cat {counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {counter}\n"
            f'[ "$n" -le 4 ] && {{ echo "E: Could not get lock" >&2; exit 100; }}\n'
            f'case "$*" in *install*) cat {sbin}/policy-rc.d > {policy};'
            f' printf "#!/bin/sh\\n" > {sbin}/dovecot; chmod +x {sbin}/dovecot;; esac\nexit 0'
        ),
    )
    result = _run(tmp_path, folder, CI="true", SUPPORTCTL_APT_RETRY="0", SUPPORTCTL_APT_WAIT="30")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("apt is busy or failed; retrying") == 4
    assert (sbin / "dovecot").exists()
    assert policy.read_text() == "#!/bin/sh\nexit 101\n"
    assert not (sbin / "policy-rc.d").exists()


def test_an_existing_policy_is_left_alone(tmp_path: Path) -> None:
    sbin = tmp_path / "sbin"
    sbin.mkdir()
    (sbin / "policy-rc.d").write_text("#!/bin/sh\nexit 0\n")
    folder = _bin(
        tmp_path,
        id="echo 0",
        apt_get=f'case "$*" in *install*) printf "" > {sbin}/dovecot; chmod +x {sbin}/dovecot;; esac',
    )
    result = _run(tmp_path, folder, CI="true")
    assert result.returncode == 0, result.stderr
    assert (sbin / "policy-rc.d").read_text() == "#!/bin/sh\nexit 0\n"


def test_apt_that_stays_busy_fails_under_ci(tmp_path: Path) -> None:
    folder = _bin(tmp_path, id="echo 0", apt_get='echo "E: Could not get lock" >&2; exit 100')
    result = _run(tmp_path, folder, CI="true", SUPPORTCTL_APT_RETRY="0", SUPPORTCTL_APT_WAIT="0")
    assert result.returncode == 1
    assert "could not install dovecot within 0s" in result.stderr


def test_make_test_runs_it() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "imap:\n\t@bash scripts/ensure-dovecot\n" in makefile
    assert "test: install-test browser imap pdf-tools lint\n" in makefile
