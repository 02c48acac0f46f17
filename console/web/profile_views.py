"""The signed-in person's own account: profile, password, personal API tokens, deletion."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import login_required, logout_user

from console.i18n import forget_locale, render
from console.web import bp
from console.web.session import console_actor, current_session_key, kept_signed_in, sign_in
from core.errors import Conflict, Invalid, TooManyRequests
from core.services.identity import api_tokens, console_sessions, email_verification, users
from core.validation import time_zones


def _render(errors: dict[str, str] | None = None, *, new_secret: str | None = None, status: int = 200):
    actor = console_actor()
    me = users.get_me(actor=actor)
    return render_template(
        "account/profile.html",
        me=me,
        notifications=users.notifications_of(me),
        tokens=api_tokens.page_for(actor=actor, limit=200).items,
        sessions=console_sessions.current(actor=actor),
        this_session=console_sessions.key_digest(current_session_key()),
        all_zones=sorted(time_zones()),
        errors=errors or {},
        form=request.form if errors else {},
        new_secret=new_secret,
    ), status


@bp.get("/account")
@login_required
def profile():
    return _render()


@bp.post("/account/profile")
@login_required
def update_profile():
    form = request.form
    try:
        users.update_me(
            actor=console_actor(),
            name=form.get("name", ""),
            time_zone=form.get("time_zone", ""),
            locale=form.get("locale"),
            notifications=_notifications(form),
        )
    except Invalid as exc:
        return _render(exc.fields, status=422)
    forget_locale()  # the flash below already speaks the newly chosen language
    flash(gettext("Profile saved."), "success")
    return redirect(url_for("web.profile"), 303)


def _notifications(form) -> dict:
    chosen = {
        "email_digest": form.get("email_digest") == "on",
        "hot_target_alerts": form.get("hot_target_alerts") == "on",
    }
    hour = (form.get("digest_hour") or "").strip()
    if hour:
        # A number stays a number for the model to range-check; anything else reaches it as is, to be named.
        chosen["digest_hour"] = int(hour) if hour.lstrip("-").isdigit() else hour
    return chosen


@bp.post("/account/verification")
@login_required
def resend_verification():
    me = users.get_me(actor=console_actor())
    try:
        email_verification.send_link(me, resend=True)
    except TooManyRequests as exc:
        flash(render(exc.message), "error")
    else:
        flash(render(email_verification.VERIFIED if me.is_verified else email_verification.sent_to(me)), "success")
    return redirect(url_for("web.profile"), 303)


@bp.post("/account/password")
@login_required
def change_password():
    form = request.form
    if form.get("new_password", "") != form.get("confirm_password", ""):
        return _render({"confirm_password": gettext("The two new passwords differ.")}, status=422)
    try:
        session = users.change_password(
            form.get("current_password", ""), form.get("new_password", ""), actor=console_actor()
        )
    except Invalid as exc:
        return _render(exc.fields, status=422)
    except TooManyRequests as exc:
        return _render({"current_password": exc.message}, status=429)
    # Every sign-in ended with the old password: this browser signs in again, as it was (kept or not).
    sign_in(session.user, remember=kept_signed_in())
    flash(gettext("Password changed. Every other session has been logged out."), "success")
    return redirect(url_for("web.profile"), 303)


@bp.post("/account/tokens")
@login_required
def create_token():
    try:
        _, secret = api_tokens.create(request.form.get("token_name", ""), actor=console_actor())
    except Invalid as exc:
        return _render({"token_name": exc.fields.get("name", exc.message)}, status=422)
    except Conflict as exc:
        return _render({"token_name": exc.message}, status=409)
    # Rendered straight from the POST (no redirect) so the secret is never stored, not even in the session.
    return _render(new_secret=secret)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    token = api_tokens.revoke(token_id, actor=console_actor())
    flash(gettext("Token “%(name)s” revoked.", name=token.name), "success")
    return redirect(url_for("web.profile"), 303)


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    console_sessions.end_one(session_id, actor=console_actor())
    flash(gettext("That browser is signed out."), "success")
    return redirect(url_for("web.profile"), 303)


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    count = console_sessions.end_others(current_session_key(), actor=console_actor())
    flash(ngettext("%(num)d other session signed out.", "%(num)d other sessions signed out.", count), "success")
    return redirect(url_for("web.profile"), 303)


@bp.post("/account/delete")
@login_required
def delete_account():
    if request.form.get("confirm") != "DELETE":
        return _render({"confirm": gettext("Type DELETE to confirm.")}, status=422)
    try:
        users.delete_me(request.form.get("delete_password", ""), actor=console_actor())
    except Invalid:
        return _render({"delete_password": gettext("Incorrect password.")}, status=422)
    except TooManyRequests as exc:
        return _render({"delete_password": exc.message}, status=429)
    except Conflict as exc:
        flash(render(exc.message), "error")
        return redirect(url_for("web.profile"), 303)
    logout_user()
    flash(gettext("Your account has been deleted."), "info")
    return redirect(url_for("web.login"), 303)
