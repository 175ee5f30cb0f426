"""`python -m supportctl.cli.demo [TARGET]`: build the demo support repo (`make demo`).

The replay itself is `supportctl.ops.demo`; this is its command line, which prints.
"""

from __future__ import annotations

from pathlib import Path

from supportctl.domain.errors import SupportctlError
from supportctl.ops.demo import build_demo, load_steps


def main(argv: list[str] | None = None) -> int:
    """`python -m supportctl.cli.demo [TARGET]`: build the demo repo (used by `make demo`)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m supportctl.cli.demo",
        description="Build a throwaway support repo by replaying the shipped demo month.",
    )
    parser.add_argument(
        "target", nargs="?", default="build/demo", help="folder to build in (default build/demo)"
    )
    args = parser.parse_args(argv)
    source = Path(__file__).resolve().parents[2]  # the checkout: demo/ and supportctl.yaml
    target = Path(args.target).resolve()
    steps = len(load_steps(source / "demo" / "scenario.yaml"))

    tty = sys.stderr.isatty()

    def progress(i: int, total: int) -> None:
        if tty and (i % 25 == 0 or i == total):
            sys.stderr.write(f"\rreplaying the demo month: {i}/{total} actions")
            if i == total:
                sys.stderr.write("\n")

    try:
        build_demo(source, target, progress)
    except SupportctlError as exc:
        sys.stderr.write(f"supportctl: error: {exc}\n")
        return exc.exit_code
    except OSError as exc:  # a target that cannot be made: one line, as for any command
        sys.stderr.write(f"supportctl: error: cannot build the demo in {target}: {exc.strerror}\n")
        return 2
    print(f"demo support repo: {target} ({steps} actions replayed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
