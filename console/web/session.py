"""Console sessions with flask-login; a password change or suspension ends every session."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_login import LoginManager, UserMixin

from core.models import User
from core.services.identity import auth
from vistaflow.web import session_actor

login_manager = LoginManager()
login_manager.session_protection = "strong"


class ConsoleUser(UserMixin):
    """The signed-in user as flask-login sees it; the id carries the token version."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.token_version}"

    def __getattr__(self, name: str):
        return getattr(self.user, name)


@login_manager.user_loader
def load_user(session_id: str) -> ConsoleUser | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = auth.user_for_session(int(user_id), int(version))
    return ConsoleUser(user) if user else None


@login_manager.unauthorized_handler
def unauthorized():
    target = (request.full_path if request.query_string else request.path) if request.method == "GET" else None
    return redirect(url_for("web.login", next=target))


# The console's name for the session's actor (vistaflow.web holds it so any HTTP door may use it).
console_actor = session_actor
