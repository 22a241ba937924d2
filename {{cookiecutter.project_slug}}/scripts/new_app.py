"""Add a Django app to the project: `make app NAME=turbines`.

Creates {{ cookiecutter.project_slug }}/<name>/ (an AppConfig, models, admin, migrations), a test
module for it in tests/, and adds the app to LOCAL_APPS in config/settings/base.py, at the end of
the list below the "# Your apps:" line. `manage.py startapp` would make the same files but name the
app as a top-level package and leave stubs that fail `make lint`.
"""

import keyword
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "{{ cookiecutter.project_slug }}"
SETTINGS = ROOT / "config" / "settings" / "base.py"
MARKER = "    # Your apps:\n"
NAME = re.compile(r"[a-z][a-z0-9_]*")

FILES = {
    "__init__.py": "",
    "apps.py": """from django.apps import AppConfig


class {camel}Config(AppConfig):
    name = "{package}.{name}"
    verbose_name = "{title}"
""",
    "models.py": '"""The {name} app\'s models; after a change, `manage.py makemigrations`."""\n',
    "admin.py": '"""The {name} app\'s admin pages: `@admin.register(Model)` classes."""\n',
    "migrations/__init__.py": "",
}
TEST = """from django.apps import apps


def test_the_{name}_app_is_installed():
    assert apps.is_installed("{package}.{name}")
"""


def problem(name: str) -> str | None:
    """Why `name` cannot be a new app, or None."""
    if not name:
        return "NAME is missing: make app NAME=turbines"
    if not NAME.fullmatch(name) or keyword.iskeyword(name):
        return f"NAME={name!r}: use a lowercase Python identifier, e.g. turbines or wind_farms"
    if (ROOT / PACKAGE / name).exists():
        return f"{PACKAGE}/{name} exists already"
    if (ROOT / "tests" / f"test_{name}.py").exists():
        return f"tests/test_{name}.py exists already"
    return None


def add_to_local_apps(settings: str, dotted: str) -> str:
    """The settings with `dotted` appended to LOCAL_APPS, whose end follows the marker."""
    start = settings.find("LOCAL_APPS = [\n")
    marker = settings.find(MARKER, start)
    if start < 0 or marker < 0:
        raise SystemExit(
            f"{SETTINGS.relative_to(ROOT)} has no LOCAL_APPS list with a {MARKER.strip()!r} line; "
            f'add "{dotted}", to INSTALLED_APPS by hand.'
        )
    end = settings.index("]\n", marker)
    return f'{settings[:end]}    "{dotted}",\n{settings[end:]}'


def main(argv: list[str]) -> int:
    name = argv[1] if len(argv) > 1 else ""
    error = problem(name)
    if error:
        print(f"make app: {error}", file=sys.stderr)
        return 2
    values = {
        "name": name,
        "package": PACKAGE,
        "camel": "".join(part.title() for part in name.split("_")),
        "title": name.replace("_", " ").capitalize(),
    }
    app = ROOT / PACKAGE / name
    for relative, text in FILES.items():
        (app / relative).parent.mkdir(parents=True, exist_ok=True)
        (app / relative).write_text(text.format(**values), encoding="utf-8")
    (ROOT / "tests" / f"test_{name}.py").write_text(TEST.format(**values), encoding="utf-8")
    dotted = f"{PACKAGE}.{name}"
    SETTINGS.write_text(add_to_local_apps(SETTINGS.read_text(encoding="utf-8"), dotted))
    print(
        f"Created {PACKAGE}/{name}/ and tests/test_{name}.py, and added {dotted!r} to LOCAL_APPS.\n"
        f"Next: models in {PACKAGE}/{name}/models.py, then "
        f"`.venv/bin/python manage.py makemigrations {name}`."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
