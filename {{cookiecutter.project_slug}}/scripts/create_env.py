"""Write .env from .env.example with a freshly generated DJANGO_SECRET_KEY.

Run by `make install`. Standard library only, so it works before the virtualenv exists. An existing
.env is never overwritten: it may hold settings someone chose.
"""

import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def render(example: str, secret_key: str) -> str:
    lines = [
        f"DJANGO_SECRET_KEY={secret_key}" if line.startswith("DJANGO_SECRET_KEY=") else line
        for line in example.splitlines()
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    target = ROOT / ".env"
    if target.exists():
        print(f"{target} exists; leaving it as it is.")
        return 0
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    target.write_text(render(example, secrets.token_urlsafe(50)), encoding="utf-8")
    target.chmod(0o600)
    print(f"Wrote {target} with a new DJANGO_SECRET_KEY.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
