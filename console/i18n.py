"""The console's language: which locale a request reads in, Flask-Babel for templates, and date/number filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask, g, request, session
from flask_babel import Babel, refresh
from flask_login import current_user

from core import formatting, i18n, words
from core.models import User
from core.services.identity import auth
from core.services.workspaces import language

babel = Babel()
SESSION_KEY = "lang"


def _signed_in_user() -> User | None:
    # The console's session user, or the API caller once the view authenticated them.
    from console.api.auth_context import CACHE_KEY

    api_user = request.environ.get(CACHE_KEY)
    if api_user is not None:
        return api_user
    if request.blueprint in ("web", "docs"):
        return current_user.user if current_user.is_authenticated else None
    return None


def _chosen_locale(user: User | None) -> str | None:
    if user is not None:
        return i18n.normalise(user.locale)
    if request.blueprint in ("web", "docs"):
        return None
    # A body refused before the view authenticates still answers in the caller's language; read without
    # side effects and never a 401 (a bad token is the view's to refuse).
    from console.api.auth_context import bearer_token

    token = bearer_token()
    return i18n.normalise(auth.locale_of_bearer(token)) if token else None


def _workspace_default(user: User | None) -> str | None:
    workspace = g.get("workspace")
    if workspace is not None:
        return language.default_locale(workspace)
    workspace_id = (request.view_args or {}).get("workspace_id")
    if isinstance(workspace_id, int) and user is not None:
        return language.default_locale_for_member(workspace_id, user_id=user.id)
    return None


def select_locale() -> str:
    """`?lang=`, else the user's preference, else the language switch, else Accept-Language, else the workspace's."""
    asked = i18n.normalise(request.args.get("lang"))
    if asked:
        return asked
    user = _signed_in_user()
    chosen = _chosen_locale(user)
    if chosen:
        return chosen
    switched = i18n.normalise(session.get(SESSION_KEY)) if request.blueprint in ("web", "docs") else None
    if switched:
        return switched
    browser = request.accept_languages.best_match(i18n.SUPPORTED)
    if browser:
        return browser
    return _workspace_default(user) or i18n.DEFAULT


def current_locale() -> str:
    """The locale this request renders in (cached per request, see `init_app`)."""
    if "locale" not in g.get("_i18n", {}):
        g._i18n = {"locale": select_locale()}
    return g._i18n["locale"]


def forget_locale() -> None:
    """Choose the locale again (after sign-in, a profile change, or once the workspace is known)."""
    g.pop("_i18n", None)
    refresh()


def render(value: Any) -> Any:
    """A core message (or dict/list of them) in this request's locale."""
    return i18n.render(value, current_locale())


def _time_zone() -> str:
    workspace = g.get("workspace")
    if workspace is not None:
        return workspace.time_zone
    user = _signed_in_user()
    return user.time_zone if user is not None else "UTC"


def datetime_filter(value: datetime | None) -> str:
    return formatting.datetime_text(value, current_locale(), _time_zone())


def date_filter(value: datetime | None) -> str:
    return formatting.date_text(value, current_locale(), _time_zone())


def relative_filter(value: datetime | None) -> str:
    return formatting.relative_text(value, current_locale())


def number_filter(value: Any) -> str:
    return formatting.number_text(value, current_locale())


def duration_filter(value) -> str:
    return formatting.duration_text(value, current_locale())


def percent_filter(value) -> str:
    return formatting.percent_text(value, current_locale())


def hour_filter(value: int) -> str:
    return formatting.hour_text(int(value), current_locale())


def money_filter(value: Any, currency: str = "EUR") -> str:
    return formatting.money_text(value, currency, current_locale())


def language_url(code: str) -> str:
    """This page in another language (the switch on anonymous pages keeps ?next= and the rest)."""
    args = request.args.to_dict()
    args["lang"] = code
    return f"{request.path}?{urlencode(args)}"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", i18n.DEFAULT)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", i18n.TRANSLATIONS_DIR)
    babel.init_app(app, locale_selector=current_locale, timezone_selector=_time_zone)

    @app.before_request
    def choose_language() -> None:
        # `g` may outlive one request (an app context pushed around several): never carry a language over.
        forget_locale()
        asked = i18n.normalise(request.args.get("lang"))
        if asked and request.blueprint in ("web", "docs"):
            session[SESSION_KEY] = asked  # the switch on anonymous pages sticks for the next pages

    @app.after_request
    def content_language(response):
        if request.blueprint is not None or response.mimetype == "text/html":
            response.headers.setdefault("Content-Language", current_locale())
            response.vary.add("Accept-Language")
        return response

    @app.context_processor
    def language_context() -> dict[str, Any]:
        return {
            "html_lang": current_locale(),
            "languages": i18n.LANGUAGE_NAMES,
            "language_url": language_url,
            "role_names": words.ROLE_NAMES,
            "lead_status_names": words.LEAD_STATUS_NAMES,
            "dm_status_names": words.DM_STATUS_NAMES,
        }

    # Any core message a template shows (an error, a field's complaint) comes out in the reader's language.
    app.jinja_env.finalize = render
    app.add_template_filter(datetime_filter, "datetime")
    app.add_template_filter(date_filter, "date")
    app.add_template_filter(relative_filter, "ago")
    app.add_template_filter(number_filter, "number")
    app.add_template_filter(money_filter, "money")
    app.add_template_filter(hour_filter, "clock_hour")
    app.add_template_filter(duration_filter, "duration")
    app.add_template_filter(percent_filter, "percent")
    app.add_template_filter(render, "tr")
