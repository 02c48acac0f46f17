"""Configuration read from environment variables when the app is built (never at import)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.errors import ConfigError

# Secrets that production refuses to start without.
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "DATABASE_URL", "VISTAFLOW_ENCRYPTION_KEYS")

DEFAULT_JWT_ACCESS_TTL = 3600


def normalise_database_url(url: str) -> str:
    """Accept Heroku-style `postgres://` URLs and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _bool(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def load_config(instance_path: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from the environment; refuse to start on missing secrets."""
    env = os.environ if env is None else env
    production = env.get("VISTAFLOW_ENV", "development") == "production"

    if production:
        missing = [name for name in REQUIRED_IN_PRODUCTION if not env.get(name)]
        if missing:
            raise ConfigError(
                "VistaFlow refuses to start in production without: "
                + ", ".join(missing)
                + ". Set them in the environment (see README, Configuration)."
            )

    database_url = normalise_database_url(env.get("DATABASE_URL") or "sqlite:///")
    if (
        not env.get("SECRET_KEY")
        and not database_url.startswith("sqlite")
        and env.get("VISTAFLOW_ENV") != "development"
    ):
        # A server database means a deployment: without this check, forgetting VISTAFLOW_ENV would sign
        # sessions and JWTs with the public development key below.
        raise ConfigError(
            "VistaFlow refuses to start: SECRET_KEY is not set and DATABASE_URL points at a database server. "
            "Set SECRET_KEY (and VISTAFLOW_ENV=production) for a deployment, or VISTAFLOW_ENV=development "
            "explicitly to run with the insecure development key."
        )
    secret_key = env.get("SECRET_KEY") or "dev-only-insecure-secret-key"
    jwt_secret = env.get("JWT_SECRET") or hashlib.sha256(b"jwt:" + secret_key.encode()).hexdigest()
    default_db = "sqlite:///" + str(Path(instance_path) / "vistaflow.sqlite3")

    return {
        "VISTAFLOW_ENV": "production" if production else env.get("VISTAFLOW_ENV", "development"),
        "SECRET_KEY": secret_key,
        "JWT_SECRET": jwt_secret,
        "JWT_ACCESS_TTL": _int(env, "JWT_ACCESS_TTL", DEFAULT_JWT_ACCESS_TTL),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(env.get("DATABASE_URL") or default_db),
        # Bound parameters (people's text, tokens) stay out of error messages, logs and job errors.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "REDIS_URL": env.get("REDIS_URL") or None,
        "PUBLIC_URL": (env.get("PUBLIC_URL") or "http://localhost:3001").rstrip("/"),
        "VISTAFLOW_ENCRYPTION_KEYS": env.get("VISTAFLOW_ENCRYPTION_KEYS") or None,
        "INSTAGRAM_CLIENT_ID": env.get("INSTAGRAM_CLIENT_ID") or "",
        "INSTAGRAM_CLIENT_SECRET": env.get("INSTAGRAM_CLIENT_SECRET") or "",
        "INSTAGRAM_REDIRECT_URI": env.get("INSTAGRAM_REDIRECT_URI")
        or (env.get("PUBLIC_URL") or "http://localhost:3001").rstrip("/") + "/social-accounts/instagram/callback",
        "META_APP_SECRET": env.get("META_APP_SECRET") or "",
        "META_WEBHOOK_VERIFY_TOKEN": env.get("META_WEBHOOK_VERIFY_TOKEN") or "",
        "TIKTOK_CLIENT_KEY": env.get("TIKTOK_CLIENT_KEY") or "",
        "TIKTOK_CLIENT_SECRET": env.get("TIKTOK_CLIENT_SECRET") or "",
        "TIKTOK_REDIRECT_URI": env.get("TIKTOK_REDIRECT_URI")
        or (env.get("PUBLIC_URL") or "http://localhost:3001").rstrip("/") + "/social-accounts/tiktok/callback",
        "INSTAGRAM_OAUTH_URL": (env.get("INSTAGRAM_OAUTH_URL") or "https://api.instagram.com").rstrip("/"),
        "INSTAGRAM_AUTHORIZE_URL": env.get("INSTAGRAM_AUTHORIZE_URL") or "https://www.instagram.com/oauth/authorize",
        "INSTAGRAM_API_URL": (env.get("INSTAGRAM_API_URL") or "https://graph.instagram.com").rstrip("/"),
        "INSTAGRAM_API_VERSION": env.get("INSTAGRAM_API_VERSION") or "v23.0",
        "TIKTOK_OAUTH_URL": env.get("TIKTOK_OAUTH_URL") or "https://www.tiktok.com/v2/auth/authorize/",
        "TIKTOK_API_URL": (env.get("TIKTOK_API_URL") or "https://business-api.tiktok.com/open_api/v1.3").rstrip("/"),
        "INTEGRATIONS_ALLOW_PRIVATE_TARGETS": _bool(env, "INTEGRATIONS_ALLOW_PRIVATE_TARGETS", False),
        "GOOGLE_TOKEN_URL": env.get("GOOGLE_TOKEN_URL") or "https://oauth2.googleapis.com/token",
        "GOOGLE_SHEETS_API_URL": (env.get("GOOGLE_SHEETS_API_URL") or "https://sheets.googleapis.com").rstrip("/"),
        "NOTION_API_URL": (env.get("NOTION_API_URL") or "https://api.notion.com").rstrip("/"),
        "AUDIT_RETENTION_DAYS": _int(env, "AUDIT_RETENTION_DAYS", 365),
        "JOB_RUN_RETENTION_DAYS": _int(env, "JOB_RUN_RETENTION_DAYS", 14),
        "LOGIN_MAX_FAILURES_PER_EMAIL": _int(env, "LOGIN_MAX_FAILURES_PER_EMAIL", 5),
        "LOGIN_MAX_FAILURES_PER_IP": _int(env, "LOGIN_MAX_FAILURES_PER_IP", 30),
        "LOGIN_FAILURE_WINDOW": _int(env, "LOGIN_FAILURE_WINDOW", 900),
        "LOG_JSON": _bool(env, "LOG_JSON", production),
        "METRICS_TOKEN": env.get("METRICS_TOKEN") or None,
        "TRUSTED_PROXY_HOPS": _int(env, "TRUSTED_PROXY_HOPS", 0),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "WTF_CSRF_TIME_LIMIT": None,
        "SLACK_CLIENT_ID": env.get("SLACK_CLIENT_ID") or "",
        "SLACK_CLIENT_SECRET": env.get("SLACK_CLIENT_SECRET") or "",
        "SLACK_SIGNING_SECRET": env.get("SLACK_SIGNING_SECRET") or "",
        "SLACK_API_URL": (env.get("SLACK_API_URL") or "https://slack.com/api/").rstrip("/") + "/",
        "SLACK_AUTHORIZE_URL": env.get("SLACK_AUTHORIZE_URL") or "https://slack.com/oauth/v2/authorize",
        "TELEGRAM_BOT_TOKEN": env.get("TELEGRAM_BOT_TOKEN") or "",
        "TELEGRAM_BOT_USERNAME": (env.get("TELEGRAM_BOT_USERNAME") or "").lstrip("@"),
        "TELEGRAM_API_URL": (env.get("TELEGRAM_API_URL") or "https://api.telegram.org").rstrip("/"),
        "TELEGRAM_WEBHOOK_SECRET": env.get("TELEGRAM_WEBHOOK_SECRET") or "",
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    }
