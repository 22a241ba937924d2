"""The template's own code (hooks, tests, benchmark) meets the standard it sets for projects."""

import subprocess

import pytest

from .support.options import TEMPLATE
from .support.tools import TOOL_BIN


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=" ".join)
def test_template_code_is_ruff_clean(command):
    result = subprocess.run(
        [str(TOOL_BIN / "ruff"), *command, "hooks", "tests", "bench"],
        cwd=TEMPLATE,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
