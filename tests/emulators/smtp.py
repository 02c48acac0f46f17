"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and can require a login or refuse.

`messages` holds each received message parsed (`email.message.EmailMessage`); `refuse_with` makes every
DATA answer that SMTP code (a server that is up but will not take mail); `stop()` then `start()` again
plays a server that is down for a while.
"""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, _server, _session, envelope) -> str:
        if self.server.refuse_with:
            return f"{self.server.refuse_with} Mailbox unavailable"
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.server.messages.append(parsed)  # type: ignore[arg-type]
        self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SmtpServer:
    def __init__(self, username: str | None = None, password: str | None = None) -> None:
        self.port = _free_port()
        self.username = username
        self.password = password
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse_with: int | None = None
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        credentials = f"{self.username}:{self.password}@" if self.username else ""
        return f"smtp://{credentials}127.0.0.1:{self.port}"

    def _authenticate(self, _server, _session, _envelope, mechanism, auth_data) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok)

    def start(self) -> SmtpServer:
        options = {}
        if self.username:
            # Loopback only: plain AUTH without TLS is fine for the test server.
            options = {"authenticator": self._authenticate, "auth_require_tls": False, "auth_required": True}
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
