"""The README's first command: `make demo` from a clean clone."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import TEMPLATE, tool_env
from .stack import free_port

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


def test_make_demo_renders_installs_and_migrates(clone):
    result = subprocess.run(
        ["make", "demo", "DEMO_SERVE=0"],
        cwd=clone,
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    project = clone / "build/demo/acme_portal"
    assert (project / ".venv/bin/python").exists()
    assert (project / "db.sqlite3").exists()
    assert (project / ".env").exists()


def test_served_demo_answers_the_home_page(clone):
    port = free_port()
    server = subprocess.Popen(
        ["make", "demo", f"DEMO_PORT={port}"],
        cwd=clone,
        env=tool_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    assert response.status == 200
                    assert b"Acme Portal" in response.read()
                    break
            except OSError:
                assert server.poll() is None, "make demo exited before serving"
                assert time.monotonic() < deadline, "the demo did not answer in time"
                time.sleep(1)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
