"""Every environment variable the code reads is documented in .env.example, and nothing else is."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Every file that may read the environment: settings, apps, deployment files, scripts.
SKIPPED_DIRECTORIES = {"tests", ".venv", "node_modules", "build"}
# Calls whose first argument names an environment variable.
READERS = {"env", "os.environ.get", "os.getenv", "os.environ.setdefault", "setting"}
# Read, but not from .env: chosen before the settings (and so .env) are loaded.
NOT_IN_EXAMPLE = {"DJANGO_SETTINGS_MODULE"}


def python_files() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*.py")
        if not SKIPPED_DIRECTORIES & set(path.relative_to(ROOT).parts)
    ]


def name_read(node: ast.AST) -> str | None:
    """The variable `node` reads: env("X"), env.int("X"), os.environ["X"], "X" in os.environ ..."""
    key: ast.AST | None = None
    if isinstance(node, ast.Call) and node.args:
        reader = ast.unparse(node.func)
        if reader in READERS or reader.startswith("env."):
            key = node.args[0]
    elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
        key = node.slice
    elif isinstance(node, ast.Compare) and ast.unparse(node.comparators[0]) == "os.environ":
        key = node.left
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return key.value
    return None


def variables_read_by_code() -> set[str]:
    names = set()
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = name_read(node)
            if name:
                names.add(name)
    return names - NOT_IN_EXAMPLE


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


def test_code_reads_environment_variables_everywhere_it_does():
    read = variables_read_by_code()
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "GUNICORN_WORKERS", "GUNICORN_BIND"} <= read


def test_env_example_lists_exactly_the_variables_the_code_reads():
    assert set(variables_in_example()) == variables_read_by_code()


def test_every_variable_in_env_example_has_a_comment():
    undocumented = [
        name
        for name, above in variables_in_example().items()
        if not above.startswith("#") or VARIABLE_LINE.fullmatch(above)
    ]
    assert undocumented == []
