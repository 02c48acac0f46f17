"""Mail is recorded, then sent by a job (never inside a request), retried, and its body dropped once sent.

Without `SMTP_URL` (the quick start) a message is written to the log instead, so a password-reset link
still reaches the person running VistaFlow on their own machine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta

from flask import current_app
from markupsafe import escape

from core import job_names, jobs
from core.db import db, utcnow
from core.i18n import Text, _, render
from core.models import MailMessage, MailStatus
from core.platforms import smtp

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Retries wait 1, 2, 4 then 8 minutes: a server restart or a greylisting pause is over by then.
FIRST_RETRY = timedelta(minutes=1)
UNSUBSCRIBE_FOOTER = _("To stop these mails, open this link (or turn them off on your account page):")


@dataclass(frozen=True)
class Letter:
    """What a message says, still untranslated: rendered in the recipient's language when recorded.

    Paragraphs of text, then an optional link (a button in the HTML part). A paragraph given as a tuple
    is its lines, each rendered, one per line. Rendering escapes every paragraph for the HTML part: a
    person's name is text, never markup.
    """

    subject: Text
    paragraphs: tuple[Text | tuple[Text | str, ...], ...]
    link: str | None = None
    closing: tuple[Text, ...] = ()

    def text(self, locale: str) -> str:
        parts = [_paragraph(p, locale) for p in self.paragraphs]
        if self.link:
            parts.append(self.link)
        parts += [_paragraph(p, locale) for p in self.closing]
        return "\n\n".join(parts) + "\n"

    def html(self, locale: str) -> str:
        parts = [_html_paragraph(_paragraph(p, locale)) for p in self.paragraphs]
        if self.link:
            parts.append(f'<p><a href="{escape(self.link)}">{escape(self.link)}</a></p>')
        parts += [_html_paragraph(_paragraph(p, locale)) for p in self.closing]
        return f'<!doctype html><html lang="{escape(locale)}"><body>{"".join(parts)}</body></html>'


def _paragraph(paragraph: Text | tuple, locale: str) -> str:
    rendered = render(paragraph, locale)
    return "\n".join(rendered) if isinstance(rendered, tuple) else str(rendered)


def _html_paragraph(text: str) -> str:
    # A paragraph's line breaks (a digest's list) stay line breaks; the text itself is escaped.
    return "<p>" + "<br>".join(str(escape(line)) for line in text.split("\n")) + "</p>"


def record(
    kind: str,
    to_address: str,
    letter: Letter | None,
    *,
    locale: str,
    user_id: int | None,
    unsubscribe_url: str | None = None,
    dedupe_key: str | None = None,
) -> MailMessage:
    """Add a message to the current transaction (the caller commits, then calls `start`).

    Without a letter the row is a `no_recipient` record: the request did the same work as a real one.
    """
    message = MailMessage(
        kind=kind,
        to_address=to_address[:320],
        user_id=user_id,
        locale=locale,
        unsubscribe_url=unsubscribe_url,
        dedupe_key=dedupe_key,
    )
    if letter is None:
        message.status = MailStatus.NO_RECIPIENT.value
    else:
        if unsubscribe_url:
            letter = replace(letter, closing=(*letter.closing, UNSUBSCRIBE_FOOTER, unsubscribe_url))
        message.subject = str(render(letter.subject, locale))[:200]
        message.body_text = letter.text(locale)
        message.body_html = letter.html(locale)
    db.session.add(message)
    return message


def start(message_id: int, delay: timedelta = timedelta(0)) -> None:
    """Hand the (committed) message to the mail job, on the clock: never in the caller's request."""
    jobs.enqueue_in(job_names.SEND_MAIL, message_id, delay=delay, kind="mail.send", queue=jobs.QUEUE_INTERACTIVE)


def deliver(message_id: int) -> str:
    """Send one recorded message (the job's body); returns its new status."""
    message = db.session.get(MailMessage, message_id)
    if message is None or message.status not in (MailStatus.QUEUED.value, MailStatus.RETRYING.value):
        return message.status if message is not None else "missing"
    message.attempts += 1
    url = current_app.config.get("SMTP_URL")
    try:
        if url:
            letter = smtp.build(
                sender=current_app.config["MAIL_FROM"],
                to=message.to_address,
                subject=message.subject,
                text=message.body_text or "",
                html=message.body_html,
                unsubscribe_url=message.unsubscribe_url,
            )
            smtp.send(smtp.SmtpSettings.from_url(url), letter)
        else:
            # The quick start has no mail server: the log (and the operators' Mail page) is the mailbox.
            log.info("mail to %s (no SMTP_URL set): %s\n%s", message.to_address, message.subject, message.body_text)
            message.status = MailStatus.LOGGED.value
            message.sent_at = utcnow()
            db.session.commit()
            return message.status
    except smtp.SmtpError as exc:
        return _failed(message, str(exc))
    message.status = MailStatus.SENT.value
    message.sent_at = utcnow()
    message.body_text = message.body_html = None
    message.last_error = None
    db.session.commit()
    return message.status


def _failed(message: MailMessage, error: str) -> str:
    message.last_error = error[:500]
    if message.attempts >= MAX_ATTEMPTS:
        message.status = MailStatus.FAILED.value
        message.body_text = message.body_html = None
        db.session.commit()
        log.warning("mail %s to %s failed for good: %s", message.id, message.to_address, error)
        return message.status
    message.status = MailStatus.RETRYING.value
    db.session.commit()
    start(message.id, delay=FIRST_RETRY * 2 ** (message.attempts - 1))
    return message.status
