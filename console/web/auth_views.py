"""Sign up, log in, log out."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, logout_user

from console.redirects import local_path
from console.web import bp
from console.web.session import current_session_key, sign_in
from core.errors import Conflict, Forbidden, Invalid, TooManyRequests, Unauthorized
from core.models import Door
from core.services.identity import auth, console_sessions


def _safe_next(target: str | None) -> str:
    return local_path(target) or url_for("web.home")


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        try:
            user = auth.register(
                form.get("email", ""),
                form.get("password", ""),
                form.get("name", ""),
                door=Door.CONSOLE,
                ip=request.remote_addr,
            )
        except (Invalid, Conflict, TooManyRequests) as exc:  # shown inline, next to the field
            errors = exc.fields or {"email": exc.message}
        else:
            sign_in(user)
            flash(gettext("Welcome to VistaFlow! Create your first workspace to get started."), "success")
            return redirect(url_for("web.new_workspace"))
    return render_template("auth/signup.html", form=form, errors=errors), (422 if errors else 200)


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


@bp.post("/logout")
@login_required
def logout():
    # The sign-in's row ends first: the remember-me cookie, wherever it was copied, opens nothing after.
    console_sessions.end(current_session_key())
    logout_user()
    flash(gettext("You are logged out."), "info")
    return redirect(url_for("web.login"))
