"""The schema changes only through migrations: they must match the models and run both ways."""

from __future__ import annotations

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from tests.conftest import ADMIN_DB_URL, RUN_ID, _psycopg_url


def test_models_and_migrations_agree(app_ctx):
    from core.db import db

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert diff == [], f"models differ from migrations; run `flask db migrate`: {diff}"


@pytest.fixture
def scratch_database_url():
    name = f"vf_scratch_{RUN_ID}"
    admin = _psycopg_url(ADMIN_DB_URL)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_url(admin).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrade_downgrade_upgrade(scratch_database_url):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    from core.db import db
    from vistaflow import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": scratch_database_url, "TESTING": True})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "workspaces", "memberships", "audit_log"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert set(inspect(db.engine).get_table_names()) == tables
        db.engine.dispose()
