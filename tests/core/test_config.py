"""Configuration comes from the environment when the app is built."""

from __future__ import annotations

import pytest

from core.config import load_config, normalise_database_url
from core.errors import ConfigError


def test_postgres_scheme_is_rewritten_for_psycopg3():
    assert normalise_database_url("postgres://u:p@h:5432/db") == "postgresql+psycopg://u:p@h:5432/db"
    assert normalise_database_url("postgresql://h/db") == "postgresql+psycopg://h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_defaults_are_a_single_process_install(tmp_path):
    config = load_config(str(tmp_path), env={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/vistaflow.sqlite3"
    assert config["REDIS_URL"] is None
    assert config["JWT_ACCESS_TTL"] == 3600


def test_jwt_secret_derives_from_secret_key_unless_set(tmp_path):
    a = load_config(str(tmp_path), env={"SECRET_KEY": "one"})
    b = load_config(str(tmp_path), env={"SECRET_KEY": "two"})
    assert a["JWT_SECRET"] != b["JWT_SECRET"] and a["JWT_SECRET"] != "one"
    assert load_config(str(tmp_path), env={"JWT_SECRET": "explicit"})["JWT_SECRET"] == "explicit"


def test_production_names_each_missing_secret(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(str(tmp_path), env={"VISTAFLOW_ENV": "production", "SECRET_KEY": "s"})
    assert "DATABASE_URL" in str(info.value) and "VISTAFLOW_ENCRYPTION_KEYS" in str(info.value)
    assert "SECRET_KEY" not in str(info.value).split("without:")[1]


def test_production_sets_secure_cookies(tmp_path):
    env = {
        "VISTAFLOW_ENV": "production",
        "SECRET_KEY": "s" * 32,
        "DATABASE_URL": "postgres://h/db",
        "VISTAFLOW_ENCRYPTION_KEYS": "k1:" + "A" * 43 + "=",
    }
    config = load_config(str(tmp_path), env=env)
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]


def test_bad_integer_names_the_variable(tmp_path):
    with pytest.raises(ConfigError, match="JWT_ACCESS_TTL"):
        load_config(str(tmp_path), env={"JWT_ACCESS_TTL": "an hour"})


def test_a_server_database_without_secret_key_or_env_refuses_to_start(tmp_path):
    # A deploy that forgot VISTAFLOW_ENV must not sign cookies and JWTs with the public development key.
    with pytest.raises(ConfigError) as info:
        load_config(str(tmp_path), env={"DATABASE_URL": "postgres://h/db"})
    assert "SECRET_KEY" in str(info.value) and "VISTAFLOW_ENV=development" in str(info.value)
    assert load_config(str(tmp_path), env={"DATABASE_URL": "postgres://h/db", "SECRET_KEY": "s"})["SECRET_KEY"] == "s"


def test_development_must_be_said_to_use_the_development_key_with_a_server_database(tmp_path):
    explicit = load_config(str(tmp_path), env={"DATABASE_URL": "postgres://h/db", "VISTAFLOW_ENV": "development"})
    assert explicit["VISTAFLOW_ENV"] == "development" and explicit["SECRET_KEY"]
    sqlite = load_config(str(tmp_path), env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert sqlite["VISTAFLOW_ENV"] == "development"  # the single-machine install keeps working untouched
    with pytest.raises(ConfigError):
        load_config(str(tmp_path), env={"DATABASE_URL": "postgres://h/db", "VISTAFLOW_ENV": "staging"})
