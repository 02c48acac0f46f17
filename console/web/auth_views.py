"""Sign up, log in, log out."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, logout_user

from console.i18n import current_locale, render
from console.redirects import local_path
from console.web import bp
from console.web.session import current_session_key, sign_in
from core.errors import Conflict, Forbidden, Invalid, TooManyRequests, Unauthorized
from core.models import Door
from core.services.identity import auth, console_sessions, email_verification, password_reset


def _safe_next(target: str | None) -> str:
    return local_path(target) or url_for("web.home")


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    errors: dict[str, str] = {}
    status = 200
    form = request.form
    if request.method == "POST":
        try:
            user = auth.register(
                form.get("email", ""),
                form.get("password", ""),
                form.get("name", ""),
                door=Door.CONSOLE,
                ip=request.remote_addr,
                locale=current_locale(),
            )
        except (Invalid, Conflict, TooManyRequests) as exc:  # shown inline, next to the field
            errors = exc.fields or {"email": exc.message}
            status = exc.status
        else:
            sign_in(user)
            target = local_path(request.args.get("next"))
            if target:  # an invitation (or another page) sent the person here first
                return redirect(target)
            flash(gettext("Welcome to VistaFlow! Create your first workspace to get started."), "success")
            return redirect(url_for("web.new_workspace"))
    return render_template("auth/signup.html", form=form, errors=errors), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    error = None
    status = 200
    if request.method == "POST":
        try:
            user = auth.authenticate(
                request.form.get("email", ""),
                request.form.get("password", ""),
                ip=request.remote_addr,
                door=Door.CONSOLE,
            )
        except (Unauthorized, Forbidden) as exc:
            error, status = exc.message, exc.status
        except TooManyRequests as exc:
            error, status = f"{exc.message} (about {exc.retry_after // 60 + 1} min)", 429
        else:
            sign_in(user, remember=bool(request.form.get("remember")))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", error=error, email=request.form.get("email", "")), status


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    errors: dict[str, str] = {}
    sent = None
    status = 200
    if request.method == "POST":
        try:
            password_reset.request_reset(
                request.form.get("email", ""), door=Door.CONSOLE, ip=request.remote_addr, locale=current_locale()
            )
        except Invalid as exc:
            errors, status = exc.fields or {"email": exc.message}, 422
        except TooManyRequests as exc:
            errors, status = {"email": exc.message}, 429
        else:
            sent = render(password_reset.SENT)
    return render_template("auth/forgot_password.html", form=request.form, errors=errors, sent=sent), status


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    errors: dict[str, str] = {}
    try:
        password_reset.check_link(token)
    except Invalid as exc:
        return render_template("auth/reset_password.html", link_error=render(exc.message), errors={}), 404
    if request.method == "POST":
        new = request.form.get("new_password", "")
        if new != request.form.get("confirm_password", ""):
            errors = {"confirm_password": gettext("The two new passwords differ.")}
        else:
            try:
                password_reset.reset_password(token, new, door=Door.CONSOLE)
            except Invalid as exc:
                errors = exc.fields or {"new_password": exc.message}
            else:
                if current_user.is_authenticated:
                    logout_user()  # this browser's sign-in ended with the others
                flash(render(password_reset.DONE), "success")
                return redirect(url_for("web.login"), 303)
    return render_template("auth/reset_password.html", errors=errors), (422 if errors else 200)


@bp.post("/logout")
@login_required
def logout():
    # The sign-in's row ends first: the remember-me cookie, wherever it was copied, opens nothing after.
    console_sessions.end(current_session_key())
    logout_user()
    flash(gettext("You are logged out."), "info")
    return redirect(url_for("web.login"))


@bp.get("/verify-email/<token>")
def verify_email(token: str):
    # Opening the link is the proof: like every mailed confirmation, it works from any browser.
    try:
        email_verification.confirm(token, door=Door.CONSOLE)
    except Invalid as exc:
        flash(render(exc.message), "error")
    else:
        flash(render(email_verification.VERIFIED), "success")
    return redirect(url_for("web.home" if current_user.is_authenticated else "web.login"), 303)
