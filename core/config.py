"""Configuration read from environment variables when the app is built (never at import)."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.errors import ConfigError

# Secrets that production refuses to start without.
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "DATABASE_URL", "VISTAFLOW_ENCRYPTION_KEYS")

DEFAULT_JWT_ACCESS_TTL = 3600
# HS256 and Flask's signer want a key at least as long as the hash; shorter ones can be brute-forced.
MIN_SECRET_KEY_BYTES = 32
SECRET_KEY_FILE = "secret.key"
NEW_SECRET_HINT = 'generate one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'

log = logging.getLogger(__name__)


def instance_secret_key(instance_path: str) -> str:
    """The install's own SECRET_KEY, generated once into the instance folder (mode 0600) and read after."""
    path = Path(instance_path) / SECRET_KEY_FILE
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first; read theirs
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
            log.warning("generated a SECRET_KEY for this install in %s (set SECRET_KEY in production)", path)
    value = path.read_text().strip()
    if len(value.encode()) < MIN_SECRET_KEY_BYTES:
        raise ConfigError(
            f"{path} holds a SECRET_KEY shorter than {MIN_SECRET_KEY_BYTES} bytes; delete it to get a new one."
        )
    return value


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


def served_url(env: Mapping[str, str]) -> str:
    """The URL gunicorn.conf.py serves from HOST/BIND/PORT: the default PUBLIC_URL, and what start.sh prints."""
    host, port = env.get("HOST") or "127.0.0.1", env.get("PORT") or "3001"
    bind = env.get("BIND") or ""
    if bind and not bind.startswith(("unix:", "fd://")):
        host, _, port = bind.rpartition(":")
        host = host.strip("[]") or "127.0.0.1"
    if host in ("0.0.0.0", "::", "*"):  # noqa: S104 (a comparison: the wildcard is not opened here)
        host = "127.0.0.1"  # every interface: loopback is one of them, and the one this machine can open
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}"


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
        if len(env["SECRET_KEY"].encode()) < MIN_SECRET_KEY_BYTES:
            raise ConfigError(
                f"VistaFlow refuses to start in production: SECRET_KEY is shorter than {MIN_SECRET_KEY_BYTES} bytes "
                f"({NEW_SECRET_HINT})."
            )

    database_url = normalise_database_url(env.get("DATABASE_URL") or "sqlite:///")
    if (
        not env.get("SECRET_KEY")
        and not database_url.startswith("sqlite")
        and env.get("VISTAFLOW_ENV") != "development"
    ):
        # A server database means a deployment, often several web hosts: each would generate a key of its own
        # in its instance folder, and sessions signed by one would be refused by the others.
        raise ConfigError(
            "VistaFlow refuses to start: SECRET_KEY is not set and DATABASE_URL points at a database server. "
            "Set SECRET_KEY (and VISTAFLOW_ENV=production) for a deployment, or VISTAFLOW_ENV=development "
            f"explicitly to use a key generated into the instance folder ({SECRET_KEY_FILE})."
        )
    # Never a constant: without SECRET_KEY each install signs with a key of its own.
    secret_key = env.get("SECRET_KEY") or instance_secret_key(instance_path)
    jwt_secret = env.get("JWT_SECRET") or hashlib.sha256(b"jwt:" + secret_key.encode()).hexdigest()
    public_url = (env.get("PUBLIC_URL") or served_url(env)).rstrip("/")
    default_db = "sqlite:///" + str(Path(instance_path) / "vistaflow.sqlite3")

    return {
        "VISTAFLOW_ENV": "production" if production else env.get("VISTAFLOW_ENV", "development"),
        "SECRET_KEY": secret_key,
        "SECRET_KEY_SOURCE": "environment" if env.get("SECRET_KEY") else str(Path(instance_path) / SECRET_KEY_FILE),
        "JWT_SECRET": jwt_secret,
        "JWT_ACCESS_TTL": _int(env, "JWT_ACCESS_TTL", DEFAULT_JWT_ACCESS_TTL),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(env.get("DATABASE_URL") or default_db),
        # Bound parameters (people's text, tokens) stay out of error messages, logs and job errors.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "REDIS_URL": env.get("REDIS_URL") or None,
        "PUBLIC_URL": public_url,
        "VISTAFLOW_ENCRYPTION_KEYS": env.get("VISTAFLOW_ENCRYPTION_KEYS") or None,
        "INSTAGRAM_CLIENT_ID": env.get("INSTAGRAM_CLIENT_ID") or "",
        "INSTAGRAM_CLIENT_SECRET": env.get("INSTAGRAM_CLIENT_SECRET") or "",
        "INSTAGRAM_REDIRECT_URI": env.get("INSTAGRAM_REDIRECT_URI")
        or public_url + "/social-accounts/instagram/callback",
        "META_APP_SECRET": env.get("META_APP_SECRET") or "",
        "META_WEBHOOK_VERIFY_TOKEN": env.get("META_WEBHOOK_VERIFY_TOKEN") or "",
        "TIKTOK_CLIENT_KEY": env.get("TIKTOK_CLIENT_KEY") or "",
        "TIKTOK_CLIENT_SECRET": env.get("TIKTOK_CLIENT_SECRET") or "",
        "TIKTOK_REDIRECT_URI": env.get("TIKTOK_REDIRECT_URI") or public_url + "/social-accounts/tiktok/callback",
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
        "HUBSPOT_API_URL": (env.get("HUBSPOT_API_URL") or "https://api.hubapi.com").rstrip("/"),
        "PIPEDRIVE_API_URL": (env.get("PIPEDRIVE_API_URL") or "https://api.pipedrive.com").rstrip("/"),
        "AUDIT_RETENTION_DAYS": _int(env, "AUDIT_RETENTION_DAYS", 365),
        "JOB_RUN_RETENTION_DAYS": _int(env, "JOB_RUN_RETENTION_DAYS", 14),
        "LOGIN_MAX_FAILURES_PER_EMAIL": _int(env, "LOGIN_MAX_FAILURES_PER_EMAIL", 5),
        "LOGIN_MAX_FAILURES_PER_IP": _int(env, "LOGIN_MAX_FAILURES_PER_IP", 30),
        "LOGIN_FAILURE_WINDOW": _int(env, "LOGIN_FAILURE_WINDOW", 900),
        "SMTP_URL": env.get("SMTP_URL") or None,
        "MAIL_FROM": env.get("MAIL_FROM") or "VistaFlow <no-reply@localhost>",
        "PASSWORD_RESET_MAX_PER_EMAIL": _int(env, "PASSWORD_RESET_MAX_PER_EMAIL", 5),
        "PASSWORD_RESET_MAX_PER_IP": _int(env, "PASSWORD_RESET_MAX_PER_IP", 20),
        "REGISTER_MAX_TAKEN_PER_IP": _int(env, "REGISTER_MAX_TAKEN_PER_IP", 10),
        "REGISTER_TAKEN_WINDOW": _int(env, "REGISTER_TAKEN_WINDOW", 3600),
        "LOG_JSON": _bool(env, "LOG_JSON", production),
        "METRICS_TOKEN": env.get("METRICS_TOKEN") or None,
        # Set by gunicorn.conf.py for its workers: /metrics then sums the counters of every web process.
        "PROMETHEUS_MULTIPROC_DIR": env.get("PROMETHEUS_MULTIPROC_DIR") or None,
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
