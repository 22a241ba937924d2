"""Text that shows what it says: no control characters, no invisible reordering marks.

NUL and the other control characters break logs, CSV exports and some databases (PostgreSQL
refuses NUL in text); the bidirectional marks and overrides make a name display as something it
is not. Names refuse both; the schema states the same rule (api/schema.py).
"""

import re

from django.core.exceptions import ValidationError

# Valid as a regular expression in Python and in ECMAScript, so the schema can carry it as is.
HIDDEN_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible_text(value: str) -> None:
    if HIDDEN_CHARACTERS.search(value):
        raise ValidationError(
            "Control characters and text-direction marks are not allowed.", code="hidden_characters"
        )
