"""SMTP delivery with the standard library (`email.message` builds, `smtplib` sends), configured by one URL.

`SMTP_URL` is `smtp://user:pass@host:587?starttls=1` (STARTTLS), `smtps://user:pass@host:465` (TLS from
the first byte) or `smtp://host:25` (plain, for a relay on the same network).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

TIMEOUT_SECONDS = 20


class SmtpError(Exception):
    """The server refused the message or could not be reached; the text says which, without credentials."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:pass@host:587?starttls=1 or smtps://host:465")
        query = parse_qs(parts.query)
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 587),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit,
            starttls=not implicit and query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        )


def build(
    *, sender: str, to: str, subject: str, text: str, html: str | None, unsubscribe_url: str | None = None
) -> EmailMessage:
    """A message with a plain-text part and, when given, an HTML alternative and a one-click unsubscribe."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    if unsubscribe_url:
        # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to the URL, no page, no login.
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Hand one message to the server; SmtpError when it is refused or unreachable."""
    context = ssl.create_default_context()
    try:
        if settings.implicit_tls:
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=TIMEOUT_SECONDS, context=context
            )
        else:
            server = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
        with server:
            if settings.starttls:
                server.starttls(context=context)
            if settings.username:
                server.login(settings.username, settings.password or "")
            server.send_message(message)
    except smtplib.SMTPResponseException as exc:
        raise SmtpError(f"SMTP {exc.smtp_code}: {exc.smtp_error.decode(errors='replace')[:200]}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise SmtpError(f"{type(exc).__name__}: {str(exc)[:200]}") from None
