"""Commands run inside a rendered project, with the template's tooling (uv, ruff) on PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TOOL_BIN = Path(sys.executable).parent


def tool_env(**extra: str) -> dict[str, str]:
    """The environment for commands run in a rendered project: the tooling's uv and ruff on PATH."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.pop("VIRTUAL_ENV", None)
    # Run as from a shell, not as a sub-make of the template's `make test` (which would print
    # "Entering directory" lines and pass on its flags).
    for name in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS"):
        env.pop(name, None)
    env["PATH"] = f"{TOOL_BIN}{os.pathsep}{env['PATH']}"
    # A rendered project's own switch: its tests of services fail, not skip, as the template's do.
    if os.environ.get("KEEL_REQUIRE_SERVICES", "") not in ("", "0"):
        env["REQUIRE_SERVICES"] = "1"
    env.update(extra)
    return env


def run(
    command: list[str], cwd: Path, timeout: int = 600, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    """Run a command in a project; on failure, fail the test with the command's output."""
    result = subprocess.run(
        command,
        cwd=cwd,
        env=tool_env(**extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} exited {result.returncode} in {cwd}\n"
            f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )
    return result
