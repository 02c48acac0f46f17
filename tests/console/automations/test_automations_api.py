"""/automations: camelCase rules with their variants, checked field by field; dry run, figures, variants paused
or promoted; admins change rules, members read them, other workspaces see nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.models import AutomationRule, AutomationVariant, DmTemplate
from tests.factories import make_account, make_interaction, make_target


@pytest.fixture
def team(app, factory):
    team = factory.rivals(with_member=True)
    with app.app_context():
        for ws, name in ((team["ws"], "Price list"), (team["ws"], "Short"), (team["other"], "Theirs")):
            db.session.add(DmTemplate(workspace_id=ws, name=name, body="Hi {{username}}, prices inside."))
        db.session.commit()
        ids = {t.name: t.id for t in db.session.scalars(select(DmTemplate))}
    return team | {"templates": ids}


def _body(team, **changes):
    return {
        "name": "Prix",
        "trigger": {
            "on": ["comment"],
            "keywords": ["prix", "price"],
            "intent": True,
            "minScore": None,
            "mediaIds": None,
        },
        "variants": [{"templateId": team["templates"]["Price list"], "weight": 50}],
        "publicReplies": ["Sent you a DM 📩"],
        "mode": "automatic",
        "active": True,
    } | changes


def test_create_read_change_and_delete_a_rule(team):
    owner, ws = team["owner"], team["ws"]
    made = owner.post(f"/automations/workspace/{ws}", json=_body(team))
    assert made.status_code == 201, made.get_json()
    rule = made.get_json()
    assert rule["workspaceId"] == ws and rule["mode"] == "automatic" and rule["activatedAt"]
    assert rule["trigger"]["keywords"] == ["prix", "price"] and rule["variants"][0]["label"] == "A"
    assert rule["exclude"] == {"customers": True, "leadStatuses": [], "messagedWithinDays": None}

    listed = team["member"].get(f"/automations/workspace/{ws}").get_json()["items"]
    assert [r["name"] for r in listed] == ["Prix"]

    short = team["templates"]["Short"]
    keep = rule["variants"][0]["id"]
    changed = owner.patch(
        f"/automations/{rule['id']}",
        json={
            "variants": [
                {"id": keep, "templateId": team["templates"]["Price list"], "weight": 70},
                {"templateId": short, "weight": 30},
            ],
            "activeHours": {"from": "09:00", "until": "18:00"},
        },
    )
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert [(v["label"], v["weight"]) for v in body["variants"]] == [("A", 70), ("B", 30)]
    assert body["activeHours"] == {"from": "09:00", "until": "18:00"} and body["name"] == "Prix"

    assert owner.delete(f"/automations/{rule['id']}").status_code == 204
    assert owner.get(f"/automations/{rule['id']}").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"colour": "blue"}, "colour"),
        ({"trigger": {"on": ["like"]}}, "trigger.on.0"),
        ({"trigger": {"on": ["comment"], "keywords": ["x" * 61]}}, "trigger.keywords.0"),
        ({"variants": []}, "variants"),
        ({"variants": [{"templateId": 999999, "weight": 50}]}, "variants.0.templateId"),
        ({"variants": [{"templateId": 1, "weight": 0}]}, "variants.0.weight"),
        ({"mode": "yolo"}, "mode"),
        ({"activeHours": {"from": "25:00", "until": "18:00"}}, "activeHours.from"),
        ({"activeHours": {"from": "0\u0669:00", "until": "18:00"}}, "activeHours.from"),  # an Arabic-Indic nine
        ({"trigger": {"on": ["comment"], "keywords": ["\u0301"]}}, "trigger.keywords.0"),  # nothing once folded
        ({"leadTag": "a,b"}, "leadTag"),
        ({"exclude": {"leadStatuses": ["maybe"]}}, "exclude.leadStatuses"),
        ({"name": " "}, "name"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(app, team, change, field):
    response = team["owner"].post(f"/automations/workspace/{team['ws']}", json=_body(team, **change))
    assert response.status_code in (400, 422), response.get_json()
    assert field in response.get_json()["error"]["fields"], response.get_json()
    with app.app_context():
        assert db.session.scalar(select(AutomationRule)) is None


def test_a_template_of_another_workspace_is_refused(team):
    theirs = team["templates"]["Theirs"]
    response = team["owner"].post(
        f"/automations/workspace/{team['ws']}", json=_body(team, variants=[{"templateId": theirs, "weight": 50}])
    )
    assert response.status_code == 422 and "variants.0.templateId" in response.get_json()["error"]["fields"]


def test_members_read_admins_change_strangers_see_nothing(team):
    ws = team["ws"]
    assert team["member"].post(f"/automations/workspace/{ws}", json=_body(team)).status_code == 403
    rule = team["owner"].post(f"/automations/workspace/{ws}", json=_body(team)).get_json()
    assert team["member"].patch(f"/automations/{rule['id']}", json={"active": False}).status_code == 403
    for path in (f"/automations/{rule['id']}", f"/automations/{rule['id']}/stats", f"/automations/workspace/{ws}"):
        assert team["stranger"].get(path).status_code == 404
    assert team["stranger"].post(f"/automations/{rule['id']}/dry-run").status_code == 404
    assert team["stranger"].delete(f"/automations/{rule['id']}").status_code == 404


def test_dry_run_stats_and_variants_paused_or_promoted(app, team):
    owner, ws = team["owner"], team["ws"]
    with app.app_context():
        person = make_target(make_account(ws), username="olga")
        make_interaction(person, text="Quel est le prix ?")
        make_interaction(make_target(make_account(ws), username="ben"), text="lovely")
    rule = owner.post(
        f"/automations/workspace/{ws}",
        json=_body(
            team,
            active=False,
            variants=[
                {"templateId": team["templates"]["Price list"], "weight": 50},
                {"templateId": team["templates"]["Short"], "weight": 50},
            ],
        ),
    ).get_json()
    preview = owner.post(f"/automations/{rule['id']}/dry-run").get_json()
    assert (preview["examined"], preview["matched"]) == (2, 1)
    [row] = preview["rows"]
    assert row["username"] == "olga" and row["because"] == "keyword:prix" and row["variant"] in ("A", "B")
    assert row["outcome"] == "would_send" and row["reason"] is None

    figures = owner.get(f"/automations/{rule['id']}/stats").get_json()
    assert [v["sent"] for v in figures["variants"]] == [0, 0]
    assert figures["replies"]["code"] == "none" and figures["replies"]["statement"]

    a, b = (v["id"] for v in rule["variants"])
    promoted = owner.post(f"/automations/{rule['id']}/variants/{b}/promote").get_json()
    assert [(v["label"], v["paused"]) for v in promoted["variants"]] == [("A", True), ("B", False)]
    refused = owner.post(f"/automations/{rule['id']}/variants/{b}/pause")
    assert refused.status_code == 422  # the last running variant
    assert owner.post(f"/automations/{rule['id']}/variants/{a}/resume").status_code == 200
    with app.app_context():
        assert not db.session.get(AutomationVariant, a).paused


def test_patch_keeps_what_is_null_and_a_taken_name_is_a_422(team):
    owner, ws = team["owner"], team["ws"]
    first = owner.post(f"/automations/workspace/{ws}", json=_body(team)).get_json()
    owner.post(f"/automations/workspace/{ws}", json=_body(team, name="Other"))
    kept = owner.patch(f"/automations/{first['id']}", json={"trigger": None, "mode": None, "active": None})
    assert kept.status_code == 200, kept.get_json()
    body = kept.get_json()
    assert body["trigger"]["keywords"] == ["prix", "price"] and body["mode"] == "automatic" and body["active"]
    taken = owner.patch(f"/automations/{first['id']}", json={"name": "Other"})
    assert taken.status_code == 422 and "name" in taken.get_json()["error"]["fields"]


def test_a_template_a_rule_sends_cannot_be_deleted(team):
    owner, ws = team["owner"], team["ws"]
    owner.post(f"/automations/workspace/{ws}", json=_body(team))
    refused = owner.delete(f"/dm/templates/{team['templates']['Price list']}")
    assert refused.status_code == 409 and "Prix" in refused.get_json()["error"]["message"]
