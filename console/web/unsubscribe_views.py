"""The one-click unsubscribe link of digest and alert mails (RFC 8058), no sign-in needed."""

from __future__ import annotations

from flask import render_template, request

from console.i18n import render
from console.web import bp
from core.errors import Invalid
from core.services.mail import unsubscribe
from vistaflow.web import csrf


@bp.get("/mail/unsubscribe/<token>")
def unsubscribe_page(token: str):
    # Opening the link only asks: mail scanners open links, and must not turn anyone's mail off.
    try:
        user, switch = unsubscribe.read(token)
    except Invalid as exc:
        return render_template("auth/unsubscribe.html", error=render(exc.message)), 404
    return render_template("auth/unsubscribe.html", email=user.email, what=render(unsubscribe.SWITCH_NAMES[switch]))


@bp.post("/mail/unsubscribe/<token>")
@csrf.exempt  # the signed link is the credential; mail clients POST "List-Unsubscribe=One-Click" without a page
def unsubscribe_now(token: str):
    try:
        user, what = unsubscribe.apply(token)
    except Invalid as exc:
        return render_template("auth/unsubscribe.html", error=render(exc.message)), 404
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    page = render_template("auth/unsubscribe.html", email=user.email, what=render(what), done=True)
    return (page, 200) if not one_click else ("", 204)
