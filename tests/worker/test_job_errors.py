"""What a failed job shows every member (/jobs, the console) never carries a person's data or a secret:
no bound parameters, no quoted values, no DETAIL lines of the database, no token in our own messages."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db import db

SECRET = "sk_live_SECRET_4242"


def cast_a_secret() -> None:
    db.session.execute(text("SELECT CAST(:v AS integer)"), {"v": SECRET})


def duplicate_a_secret() -> None:
    db.session.execute(text("CREATE TEMP TABLE IF NOT EXISTS leaky (v text UNIQUE)"))
    db.session.execute(text("INSERT INTO leaky VALUES (:v), (:v)"), {"v": SECRET})


def divide_with_a_secret_bound() -> None:
    db.session.execute(text("SELECT 1 / 0 WHERE :v <> ''"), {"v": SECRET})


def refuse_with_a_token_in_the_message() -> None:
    raise ValueError(f"GET https://graph.example/me?access_token={SECRET} answered 400")


@pytest.mark.parametrize(
    ("job", "starts"),
    [
        ("cast_a_secret", "DataError: invalid input syntax for type integer"),
        ("duplicate_a_secret", 'IntegrityError: duplicate key value violates unique constraint "leaky_v_key"'),
        ("divide_with_a_secret_bound", "DataError: division by zero"),
        ("refuse_with_a_token_in_the_message", "ValueError: GET https://graph.example/me?access_token=***"),
    ],
)
def test_a_failed_job_keeps_a_readable_error_without_data_or_secrets(app_ctx, job, starts):
    from core import jobs

    run = jobs.enqueue(f"tests.worker.test_job_errors.{job}", kind="leaky")
    assert run.status == "failed"
    assert run.error.startswith(starts), run.error
    assert SECRET not in run.error and "DETAIL" not in run.error and "parameters" not in run.error


def test_database_errors_hide_bound_parameters(app_ctx):
    with pytest.raises(DBAPIError) as info:
        divide_with_a_secret_bound()
    db.session.rollback()
    assert SECRET not in str(info.value) and "hidden" in str(info.value)
