"""gunicorn's access log without secrets: OAuth codes and states, tokens and passwords in a query are masked."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus

from gunicorn.glogging import Logger

# Query parameters whose values must never reach a log line (the OAuth callbacks bring `code` and
# `state`; Meta's webhook check brings `hub.verify_token`; some clients put tokens in the query).
SECRET_NAMES = frozenset(
    {
        "code",
        "state",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "secret",
        "api_key",
        "password",
        "hub.verify_token",
        "signature",
        "next",  # may carry a whole URL, query and all
    }
)
# name=value pairs of a query (or of a query quoted inside another one's value).
_PAIR = re.compile(r"(?P<lead>^|[?&;])(?P<name>[^=&;?#\s\"]+)=(?P<value>[^&;#\s\"]*)")
# Secrets that travel in the path: the password-reset link.
_SECRET_PATH = re.compile(r"(?P<prefix>/reset-password/)[^/?#\s\"]+")


def mask_query_secrets(text: str) -> str:
    """`text` with the value of every secret query parameter (and path secret) replaced by ***."""
    text = _SECRET_PATH.sub(lambda m: f"{m.group('prefix')}***", text)

    def mask(match: re.Match[str]) -> str:
        # Names are compared decoded: "%63ode" is "code" to the app, so it is "code" here too.
        if unquote_plus(match.group("name")).lower() in SECRET_NAMES and match.group("value"):
            return f"{match.group('lead')}{match.group('name')}=***"
        return match.group(0)

    return _PAIR.sub(mask, text)


class ScrubbingLogger(Logger):
    """The standard access log, every text atom masked before formatting (request line, query, headers)."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: mask_query_secrets(value) if isinstance(value, str) else value for key, value in atoms.items()}
