"""scripts/ensure-pdf-tools: installs only what is missing, from Debian, and under CI=true a
missing tool is a failure.

The script is run for real with bash; only the system commands it calls (`id`, `apt-get`)
and the places it looks in are stand-ins, so no package is installed and no root is needed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ensure-pdf-tools"
POPPLER = ("pdftotext", "pdfinfo", "pdftoppm")


def _bin(tmp_path: Path, **scripts: str) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name, body in scripts.items():
        path = folder / name.replace("_", "-")
        path.write_text("#!/bin/sh\n" + body + "\n")
        path.chmod(0o755)
    return folder


def _places(tmp_path: Path, *, fonts: bool, pango: bool) -> dict[str, str]:
    fonts_dir, lib = tmp_path / "fonts", tmp_path / "lib"
    fonts_dir.mkdir(exist_ok=True)
    (lib / "x86_64-linux-gnu").mkdir(parents=True, exist_ok=True)
    if fonts:
        for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
            (fonts_dir / name).write_bytes(b"")
    if pango:
        (lib / "x86_64-linux-gnu" / "libpango-1.0.so.0").write_bytes(b"")
    return {"SUPPORTCTL_FONT_DIR": str(fonts_dir), "SUPPORTCTL_LIB_DIRS": str(lib)}


def _run(tmp_path: Path, folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # Only the stand-ins and the basic tools the script needs; never the machine's poppler.
    for tool in ("date", "sleep", "cat", "printf", "chmod", "find", "id"):
        real = shutil.which(tool)
        if real and not (folder / tool).exists():
            (folder / tool).symlink_to(real)
    full = {
        "PATH": str(folder),
        "HOME": str(tmp_path),
        "SUPPORTCTL_APT_WAIT": "5",
        "SUPPORTCTL_APT_RETRY": "0",
        **env,
    }
    return subprocess.run(
        ["/bin/bash", str(SCRIPT)],
        capture_output=True,
        text=True,
        env=full,
        timeout=60,
        check=False,
    )


def _poppler_installer(tmp_path: Path) -> str:
    """An apt-get that logs its arguments and, on install, puts poppler's tools on PATH."""
    made = "; ".join(
        f'printf "#!/bin/sh\\n" > {tmp_path}/bin/{t}; chmod +x {tmp_path}/bin/{t}' for t in POPPLER
    )
    return f'echo "$*" >> {tmp_path}/apt.log\ncase "$*" in *install*) {made};; esac\nexit 0'


def test_nothing_to_do_when_everything_is_there(tmp_path: Path) -> None:
    folder = _bin(tmp_path, id="echo 1000", **dict.fromkeys(POPPLER, "exit 0"))
    result = _run(tmp_path, folder, CI="true", **_places(tmp_path, fonts=True, pango=True))
    assert (result.returncode, result.stderr) == (0, "")


def test_not_root_skips_for_a_developer(tmp_path: Path) -> None:
    folder = _bin(tmp_path, id="echo 1000")
    result = _run(tmp_path, folder, **_places(tmp_path, fonts=True, pango=True))
    assert result.returncode == 0
    assert result.stderr == (
        "poppler-utils not installed and cannot be installed here (needs root and apt-get); "
        "the PDF tests will be skipped\n"
    )


def test_not_root_fails_under_ci(tmp_path: Path) -> None:
    folder = _bin(tmp_path, id="echo 1000")
    result = _run(tmp_path, folder, CI="true", **_places(tmp_path, fonts=False, pango=True))
    assert result.returncode == 1
    assert result.stderr == (
        "error: poppler-utils fonts-dejavu-core not installed and cannot be installed here "
        "(needs root and apt-get); CI=true needs the PDF tests to run\n"
    )


def test_installs_only_what_is_missing(tmp_path: Path) -> None:
    folder = _bin(tmp_path, id="echo 0", apt_get=_poppler_installer(tmp_path))
    result = _run(tmp_path, folder, CI="true", **_places(tmp_path, fonts=True, pango=True))
    assert result.returncode == 0, result.stderr
    log = (tmp_path / "apt.log").read_text().splitlines()
    assert len(log) == 2
    assert log[1].endswith("install -y -qq --no-install-recommends poppler-utils")


def test_an_install_that_leaves_a_tool_missing_fails_under_ci(tmp_path: Path) -> None:
    # apt says it installed everything, but Pango's library is still nowhere to be found
    folder = _bin(tmp_path, id="echo 0", apt_get=_poppler_installer(tmp_path))
    result = _run(tmp_path, folder, CI="true", **_places(tmp_path, fonts=True, pango=False))
    assert result.returncode == 1
    assert (
        "install -y -qq --no-install-recommends poppler-utils libpango-1.0-0 libpangoft2-1.0-0"
        in ((tmp_path / "apt.log").read_text())
    )
    assert result.stderr.endswith(
        "error: apt installed Pango but no libpango-1.0.so is in "
        f"{tmp_path / 'lib'}; CI=true needs the PDF tests to run\n"
    )


def test_make_test_runs_it() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "pdf-tools:\n\t@bash scripts/ensure-pdf-tools\n" in makefile
    test_line = next(line for line in makefile.splitlines() if line.startswith("test:"))
    assert "pdf-tools" in test_line.split()
