"""Every environment variable the code reads is documented in .env.example, and nothing else is."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["config", "{{ cookiecutter.project_slug }}"]


def variables_read_by_code() -> set[str]:
    """Names passed to `env(...)` or `env.<cast>(...)` anywhere in the project's code."""
    names = set()
    for source in SOURCES:
        for path in (ROOT / source).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                reader = func if isinstance(func, ast.Name) else getattr(func, "value", None)
                first = node.args[0]
                if (
                    isinstance(reader, ast.Name)
                    and reader.id == "env"
                    and isinstance(first, ast.Constant)
                    and isinstance(first.value, str)
                ):
                    names.add(first.value)
    return names


VARIABLE_LINE = re.compile(r"#? ?([A-Z][A-Z0-9_]*)=.*")


def variables_in_example() -> dict[str, str]:
    """Each variable in .env.example (set or commented out) with the comment line above it."""
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    documented = {}
    for number, line in enumerate(lines):
        match = VARIABLE_LINE.fullmatch(line)
        if match:
            above = lines[number - 1] if number else ""
            documented[match.group(1)] = above
    return documented


def test_code_reads_environment_variables():
    assert "DJANGO_SECRET_KEY" in variables_read_by_code()


def test_env_example_lists_exactly_the_variables_the_code_reads():
    assert set(variables_in_example()) == variables_read_by_code()


def test_every_variable_in_env_example_has_a_comment():
    undocumented = [
        name
        for name, above in variables_in_example().items()
        if not above.startswith("#") or VARIABLE_LINE.fullmatch(above)
    ]
    assert undocumented == []
