"""Limits on untrusted JSON, checked on the raw bytes before any parser recurses into them.

Python's json module (and every library that calls it: pydantic, slack_bolt) recurses once per
level, so `[` x 100000 is a RecursionError, not a ValueError: it escapes every `except ValueError`.
Counting the depth first, without parsing, turns it into one clear error for every door.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any

from core.errors import Malformed

MAX_DEPTH = 64  # Meta, Slack and Telegram payloads nest about 10 levels; our API bodies fewer

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def nesting_depth(raw: bytes | str) -> int:
    """How deep the arrays and objects of a JSON text open (brackets inside strings do not count).

    Unclosed brackets count too: a parser recurses into them before it finds the text is cut. The
    scan runs in C (bytes.translate, then a running sum), about 0.1 s for the 2 MB a request may carry.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    openings = data.count(b"[") + data.count(b"{")
    if openings <= MAX_DEPTH:
        return openings  # an upper bound, enough to say "not too deep" without scanning
    if b'"' in data:
        data = _STRINGS.sub(b"", data)
    brackets = data.translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def check_nesting(raw: bytes | str | None, field: str = "body") -> None:
    """Raise Malformed (400, naming `field`) when `raw` nests deeper than MAX_DEPTH."""
    if raw and nesting_depth(raw) > MAX_DEPTH:
        raise Malformed(
            f"The JSON is nested too deeply (more than {MAX_DEPTH} levels).",
            fields={field: f"At most {MAX_DEPTH} levels of nested arrays and objects."},
        )


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: Any) -> Any:
    """`value` (a string, or JSON-like nesting) without what PostgreSQL refuses in text and JSONB.

    NUL characters are dropped and lone surrogates (valid JSON escapes such as "\\ud800", but not
    Unicode) become U+FFFD; other values are kept. Compare the result with `value` to know if it changed.
    """
    if isinstance(value, str):
        return _UNSTORABLE.sub(_replacement, value)
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value


def _replacement(match: re.Match[str]) -> str:
    return "" if match.group() == "\x00" else "\ufffd"
