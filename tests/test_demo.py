"""The README's first command: `make demo` from a clean clone."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .support.options import TEMPLATE
from .support.stack import free_port
from .support.tools import tool_env

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a clean clone of the working tree holds: tracked and new files, nothing ignored."""
    target = tmp_path_factory.mktemp("clone") / "keel"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=TEMPLATE,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = TEMPLATE / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def make_demo(clone: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`make demo` without serving; fails the test with its output if it fails."""
    result = subprocess.run(
        ["make", "demo", "DEMO_SERVE=0", *arguments],
        cwd=clone,
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def test_make_demo_renders_installs_and_migrates(clone):
    result = make_demo(clone)
    project = clone / "build/demo/acme_portal"
    assert (project / ".venv/bin/python").exists()
    assert (project / "db.sqlite3").exists()
    assert (project / ".env").exists()
    assert "To sign in, create an account:" in result.stdout


def test_a_second_demo_keeps_the_first_and_can_make_a_superuser(clone):
    project = clone / "build/demo/acme_portal"
    edit = project / "acme_portal" / "edited.txt"
    edit.write_text("an edit made in the first demo\n")
    result = make_demo(clone, "DEMO_ADMIN=1")
    assert edit.exists()
    assert "Keeping the demo in build/demo/acme_portal" in result.stdout
    assert "Sign in at http://127.0.0.1:8000/admin/ as demo, password demo." in result.stdout
    check = subprocess.run(
        [
            ".venv/bin/python",
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "from django.contrib.auth import authenticate; "
            "print(authenticate(username='demo', password='demo').is_superuser)",
        ],
        cwd=project,
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.stdout.strip() == "True", check.stderr


def test_served_demo_answers_the_home_page(clone, tmp_path):
    port = free_port()
    log = tmp_path / "demo.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            ["make", "demo", f"DEMO_PORT={port}"],
            cwd=clone,
            env=tool_env(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    assert b"Acme Portal" in response.read()
                    break
            except urllib.error.HTTPError as error:
                pytest.fail(f"the demo answered {error.code}:\n{log.read_text()[-3000:]}")
            except OSError:
                # runserver stays up after an error at start, waiting for a file to change.
                shown = log.read_text()
                if "Traceback" in shown:
                    pytest.fail(f"the demo failed to start:\n{shown[-3000:]}")
                assert server.poll() is None, f"make demo exited before serving:\n{shown[-3000:]}"
                assert time.monotonic() < deadline, f"the demo did not answer:\n{shown[-3000:]}"
                time.sleep(1)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
