"""Safe by default: each install signs with a key of its own, never a shared constant; loopback unless told."""

from __future__ import annotations

import hashlib
import runpy
import stat
from pathlib import Path

import pytest
from flask import Flask

from core.config import SECRET_KEY_FILE, load_config
from core.errors import ConfigError
from tests.conftest import ROOT

# What every install used to sign with when SECRET_KEY was unset (public in the project's history).
OLD_DEVELOPMENT_KEY = "dev-only-insecure-secret-key"


def _app_in(folder: Path, monkeypatch):
    from vistaflow import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("VISTAFLOW_INSTANCE_PATH", str(folder))
    return create_app()


def test_two_fresh_installs_get_two_keys_of_their_own(tmp_path, monkeypatch):
    from core.demo.seed import demo_password

    first, second = _app_in(tmp_path / "one", monkeypatch), _app_in(tmp_path / "two", monkeypatch)
    keys = [app.config["SECRET_KEY"] for app in (first, second)]
    assert keys[0] != keys[1] and OLD_DEVELOPMENT_KEY not in keys
    assert all(len(key.encode()) >= 32 for key in keys)
    assert first.config["JWT_SECRET"] != second.config["JWT_SECRET"]
    for folder, key in ((tmp_path / "one", keys[0]), (tmp_path / "two", keys[1])):
        path = folder / SECRET_KEY_FILE
        assert path.read_text().strip() == key
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _app_in(tmp_path / "one", monkeypatch).config["SECRET_KEY"] == keys[0]  # generated once, then read
    passwords = set()
    for app in (first, second):
        with app.app_context():
            passwords.add(demo_password())
    assert len(passwords) == 2  # the demo login differs per install too


def test_an_environment_secret_key_wins_and_no_file_is_written(tmp_path):
    config = load_config(str(tmp_path), env={"SECRET_KEY": "k" * 40})
    assert config["SECRET_KEY"] == "k" * 40 and config["SECRET_KEY_SOURCE"] == "environment"
    assert not (tmp_path / SECRET_KEY_FILE).exists()


def test_production_refuses_a_secret_key_shorter_than_32_bytes(tmp_path):
    env = {
        "VISTAFLOW_ENV": "production",
        "DATABASE_URL": "postgres://h/db",
        "VISTAFLOW_ENCRYPTION_KEYS": "k1:" + "A" * 43 + "=",
    }
    with pytest.raises(ConfigError, match="shorter than 32 bytes"):
        load_config(str(tmp_path), env=env | {"SECRET_KEY": "x" * 31})
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(str(tmp_path), env=env)
    assert load_config(str(tmp_path), env=env | {"SECRET_KEY": "x" * 32})["SECRET_KEY"] == "x" * 32


def test_a_token_signed_with_the_old_development_constant_is_refused(app, client, api, factory, console):
    from core.security.tokens import issue_jwt

    user = factory.user()
    old_jwt_secret = hashlib.sha256(b"jwt:" + OLD_DEVELOPMENT_KEY.encode()).hexdigest()
    forged = issue_jwt(user.user["id"], 1, secret=old_jwt_secret, ttl_seconds=600)
    assert api.as_user(forged).get("/auth/me").status_code == 401
    genuine = issue_jwt(user.user["id"], 1, secret=app.config["JWT_SECRET"], ttl_seconds=600)
    assert api.as_user(genuine).get("/auth/me").status_code == 200

    console.login(user.email)
    assert client.get("/account").status_code == 200
    genuine_session = app.session_interface.get_signing_serializer(app).loads(client.get_cookie("session").value)
    signer = Flask("forger")
    signer.secret_key = OLD_DEVELOPMENT_KEY
    forged_session = signer.session_interface.get_signing_serializer(signer).dumps(genuine_session)
    client.set_cookie("session", forged_session)
    assert client.get("/account").status_code == 302  # to the login page: the forged session is not read


def test_no_code_signs_with_a_constant_any_more():
    sources = [p for d in ("core", "console", "bot", "worker", "vistaflow") for p in (ROOT / d).rglob("*.py")]
    assert not [str(p) for p in sources if OLD_DEVELOPMENT_KEY in p.read_text()]


def _gunicorn_bind(monkeypatch, **env: str) -> str:
    for name in ("HOST", "BIND", "PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))["bind"]


def test_gunicorn_listens_on_loopback_unless_host_or_bind_says_otherwise(monkeypatch):
    assert _gunicorn_bind(monkeypatch) == "127.0.0.1:3001"
    assert _gunicorn_bind(monkeypatch, PORT="8080") == "127.0.0.1:8080"
    assert _gunicorn_bind(monkeypatch, HOST="0.0.0.0", PORT="8080") == "0.0.0.0:8080"
    assert _gunicorn_bind(monkeypatch, BIND="10.1.2.3:9000", HOST="0.0.0.0") == "10.1.2.3:9000"


def test_the_default_public_url_is_the_address_served(tmp_path):
    assert load_config(str(tmp_path), env={})["PUBLIC_URL"] == "http://127.0.0.1:3001"
    assert load_config(str(tmp_path), env={"PORT": "8080"})["PUBLIC_URL"] == "http://127.0.0.1:8080"
    assert load_config(str(tmp_path), env={"BIND": "10.1.2.3:9000"})["PUBLIC_URL"] == "http://10.1.2.3:9000"
    assert load_config(str(tmp_path), env={"PUBLIC_URL": "https://vf.example/"})["PUBLIC_URL"] == "https://vf.example"
