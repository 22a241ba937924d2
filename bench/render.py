"""Print what rendering, installing and testing a project costs on this machine.

Run with `make bench-render`. Figures, not assertions: tests never assert speed.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.options import MINIMAL_ANSWERS
from tests.support.rendering import hooks_silenced, render
from tests.support.tools import tool_env


def timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        with hooks_silenced():
            renders = [timed(lambda i=i: render(root / f"r{i}"))[0] for i in range(5)]
            minimal = [
                timed(lambda i=i: render(root / f"m{i}", MINIMAL_ANSWERS))[0] for i in range(5)
            ]
            project = render(root / "measured")
        print(f"render, defaults: median {statistics.median(renders) * 1000:.0f} ms of 5")
        print(f"render, everything off: median {statistics.median(minimal) * 1000:.0f} ms of 5")

        files = [path for path in project.rglob("*") if path.is_file()]
        python = [path for path in files if path.suffix == ".py"]
        lines = sum(len(path.read_text().splitlines()) for path in python)
        print(f"default render: {len(files)} files, {len(python)} Python files, {lines} lines")

        for label, command in [
            ("make install (uv, warm cache)", ["make", "install"]),
            ("rendered test suite (SQLite)", [".venv/bin/pytest", "-q", "-p", "no:cacheprovider"]),
        ]:
            seconds, result = timed(
                lambda command=command: subprocess.run(
                    command, cwd=project, env=tool_env(), capture_output=True, text=True
                )
            )
            status = "ok" if result.returncode == 0 else f"FAILED ({result.returncode})"
            print(f"{label}: {seconds:.1f} s {status}")


if __name__ == "__main__":
    main()
