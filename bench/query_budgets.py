"""Time the query-budget part of a rendered project's suite. Run: make bench-query-budgets.

Renders and installs the default project under build/bench-query-budgets (kept between runs),
or measures PROJECT when given, then runs the query-budget test modules once and prints the wall
and CPU time of the run, the part of it spent in the tests themselves (what the part adds to a
whole-suite run), and the cost of each generated route test (setup + call).

Figures, not assertions: on a shared machine wall time follows the load; CPU time less so.
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TEMPLATE))

from tests.support.rendering import render  # noqa: E402
from tests.support.tools import run, tool_env  # noqa: E402

MODULES = [
    "tests/test_query_budgets.py",
    "tests/test_query_budget_toolkit.py",
    "tests/test_query_budget_toolkit_app.py",
]
DURATION = re.compile(r"^([\d.]+)s (setup|call|teardown)\s+\S+::(\w+)\[(.+)\]$", re.MULTILINE)
ANY_DURATION = re.compile(r"^([\d.]+)s (?:setup|call|teardown)\s", re.MULTILINE)


def default_project() -> Path:
    project = TEMPLATE / "build" / "bench-query-budgets" / "acme_portal"
    if not (project / ".venv").exists():
        render(project.parent)
        run(["make", "install"], project)
    return project


def measure(project: Path) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        [".venv/bin/pytest", "-q", "-p", "no:cacheprovider", "--durations=0", *MODULES],
        cwd=project,
        env=tool_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        sys.exit(f"the query-budget tests failed:\n{result.stdout[-3000:]}")
    return wall, cpu, result.stdout


def per_route(output: str) -> dict[tuple[str, str], float]:
    costs: dict[tuple[str, str], float] = {}
    for seconds, _, test, route in DURATION.findall(output):
        costs[(test, route)] = costs.get((test, route), 0.0) + float(seconds)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", nargs="?", type=Path, help="an installed rendered project")
    project = parser.parse_args().project or default_project()
    wall, cpu, output = measure(project)
    print(f"query-budget modules: {wall:.2f} s wall, {cpu:.2f} s CPU ({', '.join(MODULES)})")
    # What the part adds to a whole-suite run, where pytest and Django start once for every test.
    in_tests = sum(float(seconds) for seconds in ANY_DURATION.findall(output))
    print(f"  of which in the tests (setup, call, teardown): {in_tests:.2f} s")
    for (test, route), seconds in sorted(per_route(output).items()):
        print(f"  {seconds * 1000:7.0f} ms  {test}[{route}]")


if __name__ == "__main__":
    main()
