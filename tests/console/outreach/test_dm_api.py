"""The /dm API: templates, send with Idempotency-Key, lifecycle, history, sequences, isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db import db
from tests.dm_setup import commenter, instagram_shop, messenger
from tests.factories import make_account, make_target


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config()


@pytest.fixture
def world(app, factory, instagram_emulator):
    owner = factory.user()
    workspace = factory.workspace(owner)
    with app.app_context():
        shop = instagram_shop(instagram_emulator, workspace["id"], quota=2)
        people = [commenter(instagram_emulator, shop)[0].id for _ in range(3)]
        old = commenter(instagram_emulator, shop, age=timedelta(days=8))[0].id
        chat = messenger(instagram_emulator, shop)[0].id
        tiktok = make_target(make_account(workspace["id"], platform="tiktok")).id
    return {
        "owner": owner,
        "ws": workspace["id"],
        "shop": shop,
        "people": people,
        "old": old,
        "chat": chat,
        "tiktok": tiktok,
    }


def _template(api, ws, body="Hi {{username}}! About {{post_url}}: {{comment_excerpt}} — {{account_name}}"):
    response = api.post(f"/dm/templates/{ws}", json={"name": "Welcome", "body": body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_templates_crud_preview_and_validation(world):
    api, ws = world["owner"], world["ws"]
    template = _template(api, ws)
    listed = api.get(f"/dm/templates/{ws}").get_json()["items"]
    assert [t["name"] for t in listed] == ["Hello (English)", "Bonjour (français)", "Welcome"]  # starters first
    assert listed[-1]["id"] == template["id"]
    preview = api.post(f"/dm/templates/{template['id']}/preview", json={"targetId": world["people"][0]}).get_json()
    assert preview["text"].startswith("Hi @fan_") and "instagram.com/p/" in preview["text"]
    assert preview["text"].endswith("— @acme.shop") and preview["length"] == len(preview["text"])

    bad = api.post(f"/dm/templates/{ws}", json={"name": "Bad", "body": "Hello\n  {{first_name}}!"})
    assert bad.status_code == 422
    assert "{{first_name}} at line 2, column 3" in bad.get_json()["error"]["fields"]["body"]
    long = api.put(f"/dm/templates/{template['id']}", json={"body": "x" * 990 + " {{comment_excerpt}}"})
    assert long.status_code == 200  # the body is fine; the rendered text is over the limit
    over = api.post(f"/dm/templates/{template['id']}/preview", json={"targetId": world["people"][0]})
    assert over.status_code == 422 and "over the 1,000 limit" in over.get_json()["error"]["fields"]["body"]
    assert api.delete(f"/dm/templates/{template['id']}").status_code == 204


def test_send_with_idempotency_key_replays_the_first_answer(world, instagram_emulator):
    api = world["owner"]
    body = {"targetId": world["people"][0], "text": "Thanks for your comment!"}
    first = api.post("/dm/send", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 202, first.get_json()
    again = api.post("/dm/send", json=body, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert len(instagram_emulator.sent_messages) == 1
    other = api.post("/dm/send", json=body | {"text": "changed"}, headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 422


def test_ineligible_and_quota_answers_409_in_words(world):
    api = world["owner"]
    tiktok = api.post("/dm/send", json={"targetId": world["tiktok"], "text": "hi"})
    assert tiktok.status_code == 409 and "TikTok" in tiktok.get_json()["error"]["message"]
    old = api.post("/dm/send", json={"targetId": world["old"], "text": "hi"})
    assert old.status_code == 409 and "no DM" in old.get_json()["error"]["message"]
    for target_id in world["people"][:2]:
        assert api.post("/dm/send", json={"targetId": target_id, "text": "hi"}).status_code == 202
    full = api.post("/dm/send", json={"targetId": world["people"][2], "text": "hi"})
    assert full.status_code == 409
    assert full.get_json()["error"] == {"code": "quota_exceeded", "message": "quota reached: 2/2 today"}


def test_lifecycle_history_and_events(app, world):
    from core.models import Door, User
    from core.services.identity.actors import Actor
    from core.services.outreach import dms

    api, ws = world["owner"], world["ws"]
    with app.app_context():
        actor = Actor.for_user(db.session.get(User, api.user["id"]), Door.SYSTEM)
        drafts = [dms.create_draft(t, actor=actor, text="Draft").id for t in world["people"]]
    edited = api.patch(f"/dm/{drafts[0]}", json={"text": "Edited text"})
    assert edited.status_code == 200 and edited.get_json()["text"] == "Edited text"
    approved = api.post(f"/dm/{drafts[0]}/approve", json={})
    assert approved.status_code == 202
    assert api.post(f"/dm/{drafts[0]}/approve").status_code == 202  # idempotent
    assert api.post(f"/dm/{drafts[1]}/skip", json={"reason": "not a fit"}).get_json()["status"] == "skipped"
    assert api.post(f"/dm/{drafts[2]}/cancel").get_json()["status"] == "cancelled"
    assert api.post(f"/dm/{drafts[2]}/approve").status_code == 409
    detail = api.get(f"/dm/{drafts[0]}").get_json()
    assert detail["status"] == "sent"
    assert [(e["to_status"], e["door"]) for e in detail["events"]][:3] == [
        ("draft", "system"),
        ("draft", "api"),
        ("approved", "api"),
    ]
    history = api.get(f"/dm/workspace/{ws}?status=sent").get_json()
    assert [d["id"] for d in history["items"]] == [drafts[0]]
    page = api.get(f"/dm/workspace/{ws}?limit=2").get_json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = api.get(f"/dm/workspace/{ws}?limit=2&cursor={page['next_cursor']}").get_json()
    assert {d["id"] for d in page["items"] + rest["items"]} == set(drafts)
    assert api.get(f"/dm/workspace/{ws}?target={world['people'][1]}").get_json()["items"][0]["status"] == "skipped"


def test_sequences_enroll_step_statuses_pause_resume_cancel(world, instagram_emulator):
    api, ws = world["owner"], world["ws"]
    first = _template(api, ws, "Hi {{username}}")
    follow = api.post(f"/dm/templates/{ws}", json={"name": "Follow", "body": "Any questions?"}).get_json()
    created = api.post(
        f"/dm/sequences/{ws}",
        json={"name": "Nurture", "steps": [{"templateId": first["id"]}, {"templateId": follow["id"], "delayHours": 2}]},
    )
    assert created.status_code == 201, created.get_json()
    seq = created.get_json()
    enrolled = api.post(f"/dm/sequences/{seq['id']}/enroll", json={"targetId": world["chat"]})
    assert enrolled.status_code == 201, enrolled.get_json()
    listing = api.get(f"/dm/sequences/{ws}").get_json()["items"][0]
    assert [s["status"] for s in listing["steps"]] == ["queued", "pending"]
    assert len(instagram_emulator.sent_messages) == 1  # step 1 went out (no Redis: in-process)
    again = api.post(f"/dm/sequences/{seq['id']}/enroll", json={"targetId": world["chat"]})
    assert again.status_code == 409
    eid = listing["id"]
    assert api.post(f"/dm/enrollments/{eid}/pause").get_json()["status"] == "paused"
    assert api.post(f"/dm/enrollments/{eid}/resume").get_json()["status"] == "active"
    assert api.post(f"/dm/enrollments/{eid}/cancel").get_json()["status"] == "cancelled"
    ineligible = api.post(f"/dm/sequences/{seq['id']}/enroll", json={"targetId": world["old"]})
    assert ineligible.status_code == 409


def test_every_route_hides_other_workspaces(app, world, factory):
    api, ws = world["owner"], world["ws"]
    template = _template(api, ws)
    seq = api.post(f"/dm/sequences/{ws}", json={"name": "S", "steps": [{"templateId": template["id"]}]}).get_json()
    enrollment = api.post(f"/dm/sequences/{seq['id']}/enroll", json={"targetId": world["people"][0]}).get_json()
    dm = api.post("/dm/send", json={"targetId": world["people"][1], "text": "hi"}).get_json()
    stranger = factory.user()
    factory.workspace(stranger, name="Other")
    t, p = template["id"], world["people"][0]
    calls = [
        ("GET", f"/dm/templates/{ws}", None),
        ("POST", f"/dm/templates/{ws}", {"name": "x", "body": "y"}),
        ("PUT", f"/dm/templates/{t}", {"body": "y"}),
        ("DELETE", f"/dm/templates/{t}", None),
        ("POST", f"/dm/templates/{t}/preview", {"targetId": p}),
        ("POST", "/dm/send", {"targetId": p, "text": "x"}),
        ("GET", f"/dm/workspace/{ws}", None),
        ("GET", f"/dm/{dm['id']}", None),
        ("POST", f"/dm/{dm['id']}/approve", {}),
        ("POST", f"/dm/{dm['id']}/skip", {}),
        ("POST", f"/dm/{dm['id']}/cancel", {}),
        ("PATCH", f"/dm/{dm['id']}", {"text": "x"}),
        ("GET", f"/dm/sequences/{ws}", None),
        ("GET", f"/dm/sequences/{ws}/definitions", None),
        ("POST", f"/dm/sequences/{ws}", {"name": "x", "steps": [{"templateId": t}]}),
        ("POST", f"/dm/sequences/{seq['id']}/enroll", {"targetId": p}),
        ("POST", f"/dm/enrollments/{enrollment['id']}/pause", None),
        ("POST", f"/dm/enrollments/{enrollment['id']}/resume", None),
        ("POST", f"/dm/enrollments/{enrollment['id']}/cancel", None),
        ("GET", f"/dm/settings/{ws}", None),
        ("PATCH", f"/dm/settings/{ws}", {"minGapSeconds": 5}),
    ]
    for method, path, body in calls:
        response = stranger.request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.status_code, response.get_json())


def test_dm_settings_default_template_must_be_the_workspaces(world, factory):
    api, ws = world["owner"], world["ws"]
    template = _template(api, ws)
    other_owner = factory.user()
    other_ws = factory.workspace(other_owner, name="Other")
    foreign = _template(other_owner, other_ws["id"])
    bad = api.patch(f"/dm/settings/{ws}", json={"defaultTemplateId": foreign["id"]})
    assert bad.status_code == 422 and "settings.default_template_id" in bad.get_json()["error"]["fields"]
    good = api.patch(f"/dm/settings/{ws}", json={"defaultTemplateId": template["id"], "minGapSeconds": 45})
    assert good.status_code == 200 and good.get_json()["default_template_id"] == template["id"]
    assert good.get_json()["dm_min_gap_seconds"] == 45
    assert api.delete(f"/dm/templates/{template['id']}").status_code == 409  # it is the default


def test_drafts_endpoint_creates_a_draft_by_route(world, factory):
    api, ws = world["owner"], world["ws"]
    template = _template(api, ws, body="Hi {{username}}")
    by_template = api.post("/dm/drafts", json={"targetId": world["people"][0], "templateId": template["id"]})
    assert by_template.status_code == 201, by_template.get_json()
    draft = by_template.get_json()
    assert draft["status"] == "draft" and draft["kind"] == "private_reply" and draft["text"].startswith("Hi @fan_")
    assert draft["template_id"] == template["id"] and draft["comment_id"]
    by_message = api.post("/dm/drafts", json={"targetId": world["chat"], "text": "Hello", "route": "message"})
    assert by_message.status_code == 201 and by_message.get_json()["kind"] == "message"
    # The draft waits in the queue; nothing is sent.
    listed = api.get(f"/dm/workspace/{ws}?status=draft").get_json()["items"]
    assert {d["id"] for d in listed} == {draft["id"], by_message.get_json()["id"]}

    def refused(body, status):
        response = api.post("/dm/drafts", json=body)
        assert response.status_code == status, response.get_json()
        return response.get_json()["error"]

    assert "route" in refused({"targetId": world["people"][1], "text": "x", "route": "sms"}, 422)["fields"]
    assert "text" in refused({"targetId": world["people"][1], "text": "  "}, 422)["fields"]
    assert "targetId" in refused({"text": "x"}, 422)["fields"]
    assert "templateId" in refused({"targetId": world["people"][1], "templateId": 999999}, 422)["fields"]
    assert "extra" in refused({"targetId": world["people"][1], "text": "x", "extra": 1}, 422)["fields"]
    closed = refused({"targetId": world["old"], "text": "x"}, 409)
    assert closed["code"] == "not_eligible" and "7 days" in closed["message"]
    assert refused({"targetId": world["people"][1], "text": "x", "route": "message"}, 409)["code"] == "not_eligible"
    assert "TikTok" in refused({"targetId": world["tiktok"], "text": "x"}, 409)["message"]

    stranger = factory.user()
    factory.workspace(stranger, name="Other")
    assert stranger.post("/dm/drafts", json={"targetId": world["people"][1], "text": "x"}).status_code == 404
    assert len(api.get(f"/dm/workspace/{ws}").get_json()["items"]) == 2


def test_drafts_endpoint_is_in_the_openapi_document(client):
    spec = client.get("/openapi.json").get_json()
    post = spec["paths"]["/dm/drafts"]["post"]
    assert "201" in post["responses"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    ref = body["$ref"].rsplit("/", 1)[1]
    assert set(spec["components"]["schemas"][ref]["properties"]) == {"targetId", "templateId", "text", "route"}


def test_dm_settings_name_a_template_per_language(world, factory):
    api, ws = world["owner"], world["ws"]
    french = api.get(f"/dm/settings/{ws}").get_json()["language_templates"]["fr"]
    assert french is not None  # the French starter
    template = _template(api, ws)
    other_owner = factory.user()
    foreign = _template(other_owner, factory.workspace(other_owner, name="Other")["id"])
    bad = api.patch(f"/dm/settings/{ws}", json={"languageTemplates": {"fr": foreign["id"]}})
    assert bad.status_code == 422 and "settings.language_templates.fr" in bad.get_json()["error"]["fields"]
    unknown = api.patch(f"/dm/settings/{ws}", json={"languageTemplates": {"xx": template["id"]}})
    assert unknown.status_code == 422
    good = api.patch(f"/dm/settings/{ws}", json={"languageTemplates": {"en": template["id"], "fr": None}})
    assert good.status_code == 200, good.get_json()
    assert good.get_json()["language_templates"] == {"en": template["id"], "fr": None}
