"""gunicorn's access log without secrets: OAuth codes and states, tokens and passwords in a query are masked."""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

# Query parameters whose values must never reach a log line (the OAuth callbacks bring `code` and
# `state`; Meta's webhook check brings `hub.verify_token`; some clients put tokens in the query).
_SECRET_QUERY = re.compile(
    r"(?P<name>(?:^|[?&;])(?:code|state|token|access_token|refresh_token|client_secret|password|"
    r"hub\.verify_token|signature)=)(?P<value>[^&;#\s\"]*)",
    re.IGNORECASE,
)
# The atoms that hold a URL: the request line, the query string, the referrer.
URL_ATOMS = ("r", "q", "f")


def mask_query_secrets(text: str) -> str:
    """`text` with the value of every secret query parameter replaced by ***."""
    return _SECRET_QUERY.sub(lambda m: f"{m.group('name')}***" if m.group("value") else m.group(0), text)


class ScrubbingLogger(Logger):
    """The standard access log, its URLs masked before formatting."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        for key in URL_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = mask_query_secrets(atoms[key])
        if isinstance(atoms.get("{referer}i"), str):
            atoms["{referer}i"] = mask_query_secrets(atoms["{referer}i"])
        return atoms
