"""scripts/ensure-chromium: waits for a busy apt, and under CI=true a missing browser is a failure.

The script is run for real with bash; only the system commands it calls (`id`, `apt-get`) are
stand-ins on PATH, so no package is installed and no root is needed.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.helpers import component_missing

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ensure-chromium"


def _bin(tmp_path: Path, **scripts: str) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name, body in scripts.items():
        path = folder / name.replace("_", "-")
        path.write_text("#!/bin/sh\n" + body + "\n")
        path.chmod(0o755)
    return folder


def _run(tmp_path: Path, folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # Only the stand-ins and the basic tools the script needs; never the machine's chromium.
    tools = folder
    for tool in ("date", "sleep", "cat", "printf", "chmod"):
        real = shutil.which(tool)
        if real and not (tools / tool).exists():
            (tools / tool).symlink_to(real)
    full = {"PATH": str(folder), "HOME": str(tmp_path), **env}
    return subprocess.run(
        ["/bin/bash", str(SCRIPT)],
        capture_output=True,
        text=True,
        env=full,
        timeout=60,
        check=False,
    )


def test_not_root_skips_for_a_developer(tmp_path: Path) -> None:
    folder = _bin(tmp_path, id="echo 1000")
    result = _run(tmp_path, folder)
    assert result.returncode == 0
    assert "the browser test will be skipped" in result.stderr


def test_not_root_fails_under_ci(tmp_path: Path) -> None:
    folder = _bin(tmp_path, id="echo 1000")
    result = _run(tmp_path, folder, CI="true")
    assert result.returncode == 1
    assert result.stderr.startswith("error: chromium is not installed and cannot be installed here")
    assert "CI=true needs the browser test to run" in result.stderr


def test_a_busy_apt_is_waited_for(tmp_path: Path) -> None:
    # apt-get fails twice, as it does while another process holds its lock, then installs.
    counter = tmp_path / "tries"
    folder = _bin(
        tmp_path,
        id="echo 0",
        apt_get=(
            f"n=$(cat {counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {counter}\n"
            f'[ "$n" -le 4 ] && {{ echo "E: Could not get lock" >&2; exit 100; }}\n'
            f'case "$*" in *install*) printf "#!/bin/sh\\n" > {tmp_path}/bin/chromium;'
            f" chmod +x {tmp_path}/bin/chromium;; esac\nexit 0"
        ),
    )
    result = _run(tmp_path, folder, CI="true", SUPPORTCTL_APT_RETRY="0", SUPPORTCTL_APT_WAIT="30")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("apt is busy or failed; retrying") == 4
    assert (folder / "chromium").exists()


def test_apt_that_stays_busy_fails_under_ci(tmp_path: Path) -> None:
    folder = _bin(tmp_path, id="echo 0", apt_get='echo "E: Could not get lock" >&2; exit 100')
    result = _run(tmp_path, folder, CI="true", SUPPORTCTL_APT_RETRY="0", SUPPORTCTL_APT_WAIT="0")
    assert result.returncode == 1
    assert "could not install chromium within 0s" in result.stderr


def test_component_missing_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"chromium is missing .*CI=true needs it"):
        component_missing("chromium", "make test installs it")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        component_missing("chromium", "make test installs it")


def test_licence_is_an_spdx_string() -> None:
    # A TOML table here makes every install print setuptools' deprecation warning.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
