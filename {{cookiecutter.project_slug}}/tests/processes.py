"""Fresh Python processes the suite needs, started as soon as the tests are collected.

A new interpreter spends a second or two booting Django. Started up front (conftest.py's
`pytest_collection_finish`), one after the other, these boots run on another core while the rest
of the suite runs here, and the tests that read one wait only for what is left of it (a test that
needs one not yet started starts it at once). All at once, they would take the cores from this
process for the first seconds instead. Each is a session fixture:

    settings_boot = ahead("settings_boot", ["-c", SCRIPT], environ)

    def test_something(settings_boot):
        assert settings_boot.returncode == 0
"""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


class Process:
    """`python *arguments` in the project with exactly `environ`, run once, read when needed."""

    def __init__(self, arguments: list[str], environ: dict[str, str]) -> None:
        self.arguments = [sys.executable, *arguments]
        self.environ = environ
        self.popen: subprocess.Popen[bytes] | None = None
        self.output = Path()
        self.finished: subprocess.CompletedProcess[str] | None = None
        self.starting = threading.Lock()
        self.stopped = False

    def start(self) -> None:
        with self.starting:
            if self.popen is not None or self.stopped:
                return
            # Files, not pipes: nobody reads the output until the test that needs it runs.
            self.output = Path(tempfile.mkdtemp(prefix="test-process-"))
            stdout, stderr = self.output / "stdout", self.output / "stderr"
            with stdout.open("wb") as out, stderr.open("wb") as err:
                self.popen = subprocess.Popen(
                    self.arguments, cwd=ROOT, env=self.environ, stdout=out, stderr=err
                )

    def result(self) -> subprocess.CompletedProcess[str]:
        if self.finished is None:
            self.start()
            assert self.popen is not None
            returncode = self.popen.wait(timeout=120)
            stdout, stderr = (self.output / name for name in ("stdout", "stderr"))
            self.finished = subprocess.CompletedProcess(
                self.arguments, returncode, stdout.read_text(), stderr.read_text()
            )
            shutil.rmtree(self.output)
        return self.finished

    def stop(self) -> None:
        """End it, unread, if it was started (a run stopped early, or a test deselected)."""
        with self.starting:
            self.stopped = True  # nor start it after this
        if self.popen is not None and self.finished is None:
            self.popen.kill()
            self.popen.wait()
            shutil.rmtree(self.output, ignore_errors=True)


# By the name of the fixture that reads each.
AHEAD: dict[str, Process] = {}


def ahead(name: str, arguments: list[str], environ: dict[str, str]) -> Callable[..., Any]:
    """A session fixture `name` giving the finished process (a CompletedProcess)."""
    process = AHEAD[name] = Process(arguments, environ)

    @pytest.fixture(scope="session", name=name)
    def fixture() -> subprocess.CompletedProcess[str]:
        return process.result()

    return fixture


def start_ahead(items: Iterable[pytest.Item]) -> None:
    """Start the processes that some collected test reads, one at a time, in the background."""
    # Under pytest-xdist each of its processes collects every test: each starts these when read.
    if "PYTEST_XDIST_WORKER" in os.environ:
        return
    wanted = {name for item in items for name in getattr(item, "fixturenames", ())}
    queue = [process for name, process in AHEAD.items() if name in wanted]
    threading.Thread(target=run_one_by_one, args=(queue,), daemon=True).start()


def run_one_by_one(processes: list[Process]) -> None:
    for process in processes:
        process.start()
        if process.popen is not None:
            process.popen.wait()


def stop_unread() -> None:
    for process in AHEAD.values():
        process.stop()
