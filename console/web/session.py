"""Console sessions with flask-login: each sign-in has a row (logout ends it, remember-me cookie included);
a password change or suspension ends every session."""

from __future__ import annotations

from flask import current_app, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, user_loaded_from_cookie

from core.models import User
from core.services.identity import auth, console_sessions
from vistaflow.web import session_actor

login_manager = LoginManager()
login_manager.session_protection = "strong"


class ConsoleUser(UserMixin):
    """The signed-in user as flask-login sees it; the id carries the token version and the sign-in's key."""

    def __init__(self, user: User, session_key: str) -> None:
        self.user = user
        self.session_key = session_key

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.token_version}:{self.session_key}"

    def __getattr__(self, name: str):
        return getattr(self.user, name)


@login_manager.user_loader
def load_user(session_id: str) -> ConsoleUser | None:
    user_id, _, rest = session_id.partition(":")
    version, _, key = rest.partition(":")
    if not user_id.isdigit() or not version.isdigit() or not key:
        return None
    user = auth.user_for_session(int(user_id), int(version))
    if user is None or not console_sessions.is_live(user.id, key):
        return None
    return ConsoleUser(user, key)


def sign_in(user: User, *, remember: bool = False) -> None:
    """Start a console sign-in for this browser (a row the account page lists and logout ends)."""
    started = console_sessions.start(
        user.id, remember=remember, user_agent=request.headers.get("User-Agent", ""), ip=request.remote_addr or ""
    )
    login_user(ConsoleUser(user, started.key), remember=remember)


def current_session_key() -> str:
    """The key of this browser's sign-in ("" when signed out)."""
    return getattr(current_user, "session_key", "") if current_user.is_authenticated else ""


def kept_signed_in() -> bool:
    """Whether this browser holds a remember-me cookie ("Keep me logged in")."""
    return request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")) is not None


@user_loaded_from_cookie.connect
def _restored_from_remember_cookie(_app, user: ConsoleUser) -> None:
    # flask-login restores the sign-in without noting the browser's identifier, so "strong" session
    # protection would throw it away on the very next request (flask-login issue 685).
    session["_id"] = login_manager._session_identifier_generator()


@login_manager.unauthorized_handler
def unauthorized():
    target = (request.full_path if request.query_string else request.path) if request.method == "GET" else None
    return redirect(url_for("web.login", next=target))


# The console's name for the session's actor (vistaflow.web holds it so any HTTP door may use it).
console_actor = session_actor
