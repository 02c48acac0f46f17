"""Keyset cursors: a crafted cursor whose values do not fit the key columns is a 422 naming `cursor`, never a 500."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import select

from core.errors import Invalid
from core.models import JobRun
from core.pagination import encode_cursor, paginate
from tests.factories import make_account, make_target


def raw_cursor(values) -> str:
    """A cursor as a client could forge it (JSON of anything, base64url)."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


BAD_DATETIME_AND_STRING = [
    ["abc", "x"],
    [5, "x"],
    [{"dt": "2024-01-01T00:00:00"}, "x"],  # naive: the UTC column refuses it
    [{"dt": 12}, "x"],
    [{"dt": "2024-01-01T00:00:00+00:00", "x": 1}, "x"],
    [{"dt": "2024-01-01T00:00:00+00:00"}, 7],
    [{"dt": "2024-01-01T00:00:00+00:00"}, "a\u0000b"],  # PostgreSQL cannot hold NUL in text
    [None, "x"],  # created_at is NOT NULL
    [[1], "x"],
]


@pytest.mark.parametrize("values", BAD_DATETIME_AND_STRING)
def test_cursor_values_must_fit_datetime_and_string_keys(app_ctx, values):
    with pytest.raises(Invalid) as caught:
        paginate(select(JobRun), [JobRun.created_at, JobRun.id], cursor=raw_cursor(values), limit=5)
    assert "cursor" in caught.value.fields


@pytest.mark.parametrize("value", ["abc", 1.5, True, 2**64, -(2**64), None, {"dt": "2024-01-01T00:00:00+00:00"}])
def test_cursor_values_must_fit_integer_keys(app_ctx, value):
    from core.models import DirectMessage

    with pytest.raises(Invalid) as caught:
        paginate(select(DirectMessage), [DirectMessage.id], cursor=raw_cursor([value]), limit=5, descending=True)
    assert "cursor" in caught.value.fields


def test_a_real_cursor_still_pages(app_ctx, factory):
    from core.models import Target

    owner = factory.user()
    workspace = factory.workspace(owner)
    account = make_account(workspace["id"])
    ids = [make_target(account, username=f"p{n}").id for n in range(3)]
    stmt = select(Target).where(Target.workspace_id == workspace["id"])
    first = paginate(stmt, [Target.last_seen_at, Target.id], cursor=None, limit=2, descending=True)
    second = paginate(stmt, [Target.last_seen_at, Target.id], cursor=first.next_cursor, limit=2, descending=True)
    assert sorted(t.id for t in first.items + second.items) == sorted(ids) and second.next_cursor is None
    # An id near the top of BIGINT is a fine value, just past every row.
    assert paginate(stmt, [Target.id], cursor=encode_cursor([2**63 - 1]), limit=2, descending=True).items


@pytest.fixture
def owner_workspace(factory):
    owner = factory.user()
    return owner, factory.workspace(owner)["id"]


@pytest.mark.parametrize(
    "path, values",
    [
        ("/dm/workspace/{ws}", ["abc"]),
        ("/dm/workspace/{ws}", [1e300]),
        ("/leads/workspace/{ws}", ["updated", "desc", 5, 1]),
        ("/leads/workspace/{ws}", ["updated", "desc", {"dt": "2024-01-01T00:00:00+00:00"}, "1"]),
        ("/leads/workspace/{ws}?sort=score", ["score", "desc", "high", 1]),
        ("/targets/workspace/{ws}", [[], 1]),
        ("/targets/workspace/{ws}?sort=last_activity", [{"dt": "nope"}, 1]),
        ("/interactions/workspace/{ws}", [{"dt": "2024-01-01T00:00:00+00:00"}, "x"]),
        ("/workspaces", ["x"]),
    ],
)
def test_list_endpoints_answer_422_for_a_forged_cursor(owner_workspace, path, values):
    owner, workspace_id = owner_workspace
    url = path.format(ws=workspace_id)
    response = owner.get(url + ("&" if "?" in url else "?") + "cursor=" + raw_cursor(values))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "cursor" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize(
    "page, values",
    [
        ("dm/history", ["abc"]),
        ("leads", ["updated", "desc", 5, 1]),
        ("targets", ["high", 1]),
        ("interactions", [7, "x"]),
        ("jobs", [{"dt": "2024-01-01T00:00:00"}, "x"]),
    ],
)
def test_console_lists_do_not_fail_on_a_forged_cursor(owner_workspace, console, page, values):
    owner, workspace_id = owner_workspace
    console.login(owner.email)
    response = console.get(f"/w/{workspace_id}/{page}?cursor={raw_cursor(values)}")
    assert response.status_code < 500, response.status_code  # a page, a 422 or a redirect to page 1
