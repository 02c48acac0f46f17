"""Jobs only the fault tests enqueue (the worker imports them by path, like any job)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from core.db import db

SLEEPER_APP_NAME = "vf-fault-sleeper"


def sleep_in_transaction(seconds: float) -> dict:
    """Open a transaction, write in it, then sleep inside it until the test cuts the connection."""
    db.session.execute(text("SELECT set_config('application_name', :name, false)"), {"name": SLEEPER_APP_NAME})
    db.session.execute(text("CREATE TEMP TABLE IF NOT EXISTS fault_probe (n int)"))
    db.session.execute(text("INSERT INTO fault_probe VALUES (1)"))
    db.session.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
    db.session.commit()
    return {"slept": seconds}


def sleep_and_swallow_the_error(seconds: float) -> dict:
    """Like sleep_in_transaction, but catches the lost connection and returns as if all went well (a buggy job)."""
    try:
        return sleep_in_transaction(seconds)
    except OperationalError:
        return {"swallowed": True}
