"""Traffic on a table while a command migrates it; run with a rendered project's Python.

    python lock_probe.py DATABASE_URL TABLE HOLD -- COMMAND...

A session opens a transaction that reads TABLE and keeps it open, as a slow report or a
forgotten shell would. Two clients then read and write TABLE in a loop, timing each query,
while COMMAND (the release step, or a plain migrate) runs. HOLD is how long the lock stays held
once a migration is waiting for it ("forever": until COMMAND ends). Prints one JSON object.
Only psycopg is needed, so this runs in the project's environment, not the template's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import psycopg

WAITING = "SELECT count(*) FROM pg_locks WHERE relation = %s::regclass AND NOT granted"


def traffic(url: str, table: str, row: int, stop: threading.Event, results: dict, origin: float):
    try:
        with psycopg.connect(url, autocommit=True) as db:
            while not stop.is_set():
                for kind, query in (
                    # Named columns, as Django's queries do: `*` would change shape mid-run.
                    ("read", f"SELECT id, last_login FROM {table} WHERE id = %s"),
                    ("write", f"UPDATE {table} SET last_login = now() WHERE id = %s"),
                ):
                    started = time.monotonic()
                    db.execute(query, [row])
                    results["samples"].append((started - origin, kind, time.monotonic() - started))
                time.sleep(0.02)
    except psycopg.Error as error:
        results["errors"].append(repr(error))


def main() -> None:
    url, table, hold = sys.argv[1], sys.argv[2], sys.argv[3]
    command = sys.argv[sys.argv.index("--") + 1 :]
    with psycopg.connect(url, autocommit=True) as setup:
        row = setup.execute(
            f"INSERT INTO {table} (password, is_superuser, username, first_name, last_name,"
            " email, is_staff, is_active, date_joined)"
            " VALUES ('!', false, 'probe-' || gen_random_uuid(), '', '', '', false, true, now())"
            " RETURNING id"
        ).fetchone()[0]
    origin = time.monotonic()
    holder = psycopg.connect(url)
    holder.execute(f"SELECT count(*) FROM {table}")  # the transaction stays open
    holder_pid = holder.info.backend_pid
    stop = threading.Event()
    results: dict = {"samples": [], "errors": []}
    clients = [
        threading.Thread(target=traffic, args=(url, table, row, stop, results, origin))
        for _ in range(2)
    ]
    for client in clients:
        client.start()
    started = time.monotonic() - origin
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if hold != "forever":
        with psycopg.connect(url, autocommit=True) as watcher:
            while not watcher.execute(WAITING, [table]).fetchone()[0]:
                if process.poll() is not None:
                    break
                time.sleep(0.05)
        time.sleep(float(hold))
        holder.commit()
    stdout, stderr = process.communicate()
    ended = time.monotonic() - origin
    holder.close()
    stop.set()
    for client in clients:
        client.join()
    print(
        json.dumps(
            {
                "returncode": process.returncode,
                "stdout": stdout,
                "stderr": stderr,
                "holder_pid": holder_pid,
                "started": started,
                "ended": ended,
                **results,
            }
        )
    )


if __name__ == "__main__":
    main()
