"""Run the tests with every dependency of the bot at the lowest version pyproject.toml allows.

    python scripts/lower_bounds.py              # the whole suite
    python scripts/lower_bounds.py -k anilist   # arguments go to pytest

A lower bound is a promise: `pip install -e .` keeps an installed version that meets it. This makes a
fresh virtual environment in a temporary directory, installs the project with each runtime dependency
pinned to its `>=` bound (the test tools as pip picks them), and runs pytest there. What it found is
written beside the bounds in pyproject.toml.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def floors(dependencies: list[str]) -> list[str]:
    """`name==bound` for each `name[extras]>=bound` (constraints take no extras)."""
    pins = []
    for spec in dependencies:
        name = re.match(r"[A-Za-z0-9_.-]+", spec)
        bound = re.search(r">=\s*([0-9][^,;\s]*)", spec)
        if name is None or bound is None:
            raise SystemExit(f"{spec!r} has no lower bound: every dependency needs one")
        pins.append(f"{name[0]}=={bound[1]}")
    return pins


def main(pytest_args: list[str]) -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = floors(project["dependencies"])
    with tempfile.TemporaryDirectory() as work:
        constraints = Path(work) / "lower-bounds.txt"
        constraints.write_text("\n".join(pins) + "\n")
        python = Path(work) / "venv" / "bin" / "python"
        subprocess.run([sys.executable, "-m", "venv", str(python.parent.parent)], check=True)
        install = [str(python), "-m", "pip", "install", "-q", "-c", str(constraints), "-e", f"{ROOT}[test]"]
        subprocess.run(install, check=True)
        print("Testing with", ", ".join(pins), flush=True)
        return subprocess.run([str(python), "-m", "pytest", *pytest_args], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
