"""/targets API: rescore counts, list sorts/filters/keyset pages, detail with DM options, isolation;
scoring settings through PATCH /workspaces (validation names the field, partial updates merge)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db import db, utcnow
from core.models import DirectMessage, SocialAccount, Target
from tests.factories import make_account, make_interaction, make_target
from tests.scoring_legacy import use_legacy


@pytest.fixture
def team(app, factory):
    owner = factory.user()
    ws = factory.workspace(owner)
    now = utcnow()
    with app.app_context():
        use_legacy(ws["id"])  # the scores below were written with these weights
        insta = make_account(ws["id"], username="shop_insta")
        tiktok = make_account(ws["id"], platform="tiktok", username="shop_tok")
        hot = make_target(
            insta,
            username="hot_one",
            last_seen_at=now - timedelta(days=3),
            last_inbound_message_at=now - timedelta(hours=2),
        )
        make_interaction(hot, kind="message", text="hello", occurred_at=now - timedelta(hours=3))
        make_interaction(hot, kind="message", text="hello again", occurred_at=now - timedelta(hours=2))
        old_comment = make_interaction(hot, kind="comment", text="c'est combien ?", occurred_at=now - timedelta(days=8))
        recent = make_interaction(hot, kind="comment", text="how much is it?", occurred_at=now - timedelta(hours=1))
        replied = make_interaction(hot, kind="comment", text="link?", occurred_at=now - timedelta(hours=4))
        db.session.add(
            DirectMessage(
                workspace_id=ws["id"],
                social_account_id=insta.id,
                target_id=hot.id,
                kind="private_reply",
                comment_platform_id=replied.platform_id,
                text="Hi!",
                status="sent",
            )
        )
        warm = make_target(insta, username="warm_one", last_seen_at=now)
        for n in range(3):
            make_interaction(warm, kind="comment", text="nice", occurred_at=now - timedelta(hours=n), media_id=f"m{n}")
        tok = make_target(tiktok, username="tok_fan", last_seen_at=now - timedelta(days=1))
        make_interaction(tok, kind="comment", text="prix ?", occurred_at=now - timedelta(hours=5))
        db.session.commit()
        ids = {
            "hot": hot.id,
            "warm": warm.id,
            "tok": tok.id,
            "insta": insta.id,
            "tiktok": tiktok.id,
            "recent_comment": recent.platform_id,
            "old_comment": old_comment.platform_id,
        }
    response = owner.post(f"/targets/update/{ws['id']}", json={})
    assert response.status_code == 200, response.get_json()
    return {"owner": owner, "ws": ws, **ids, "rescore": response.get_json()}


def test_rescore_returns_counts(team):
    body = team["rescore"]
    assert body["status"] == "finished" and body["job_id"]
    assert (body["scored"], body["became_hot"], body["left_hot"]) == (3, 1, 0)
    again = team["owner"].post(f"/targets/update/{team['ws']['id']}", json={"full": False}).get_json()
    assert (again["scored"], again["became_hot"]) == (0, 0)


def test_list_sorted_by_score_with_breakdown_and_reasons(team):
    body = team["owner"].get(f"/targets/workspace/{team['ws']['id']}").get_json()
    assert [t["username"] for t in body["items"]] == ["hot_one", "warm_one", "tok_fan"]
    hot = body["items"][0]
    assert hot["is_hot"] and hot["score"] >= 70
    assert 49 < hot["score_breakdown"]["message"] <= 50 and hot["score_breakdown"]["intent"] > 20
    assert any(r.startswith("asked for the price: “") for r in hot["score_reasons"])
    warm = body["items"][1]
    assert warm["score"] == 27  # 3 comments x 5 + 2 more posts x 6
    assert "3 comments in 48 h" in warm["score_reasons"] and "engaged on 3 posts" in warm["score_reasons"]


def test_filters_and_sort_by_last_activity(team):
    base = f"/targets/workspace/{team['ws']['id']}"
    get = team["owner"].get
    assert [t["id"] for t in get(base + "?hot_only=true").get_json()["items"]] == [team["hot"]]
    assert {t["id"] for t in get(base + "?min_score=21").get_json()["items"]} == {team["hot"], team["warm"]}
    assert [t["id"] for t in get(base + "?platform=tiktok").get_json()["items"]] == [team["tok"]]
    assert [t["id"] for t in get(base + f"?account={team['tiktok']}").get_json()["items"]] == [team["tok"]]
    by_activity = get(base + "?sort=last_activity").get_json()["items"]
    assert [t["username"] for t in by_activity] == ["warm_one", "tok_fan", "hot_one"]


def test_keyset_pagination_covers_every_target_once(team):
    base = f"/targets/workspace/{team['ws']['id']}"
    for sort in ("score", "last_activity"):
        first = team["owner"].get(f"{base}?sort={sort}&limit=2").get_json()
        assert len(first["items"]) == 2 and first["next_cursor"]
        rest = team["owner"].get(f"{base}?sort={sort}&limit=2&cursor={first['next_cursor']}").get_json()
        assert len(rest["items"]) == 1 and rest["next_cursor"] is None
        assert {t["id"] for t in first["items"] + rest["items"]} == {team["hot"], team["warm"], team["tok"]}
    score_cursor = team["owner"].get(f"{base}?limit=1").get_json()["next_cursor"]
    wrong = team["owner"].get(f"{base}?sort=last_activity&cursor={score_cursor}")
    assert wrong.status_code == 422 and "cursor" in wrong.get_json()["error"]["fields"]


@pytest.mark.parametrize(
    "query,field",
    [("min_score=101", "min_score"), ("sort=name", "sort"), ("platform=myspace", "platform"), ("colour=red", "colour")],
)
def test_bad_filters_name_the_field(team, query, field):
    response = team["owner"].get(f"/targets/workspace/{team['ws']['id']}?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_detail_has_interactions_and_dm_options(team):
    body = team["owner"].get(f"/targets/{team['hot']}").get_json()
    assert len(body["interactions"]) == 5 and body["interactions"][0]["text"] == "how much is it?"
    options = body["dm_options"]
    assert options["available"] is True and options["unavailable_reason"] is None
    # The 8-day-old comment is out of the window; the replied one is claimed by a sent DM.
    assert [r["comment_id"] for r in options["private_replies"]] == [team["recent_comment"]]
    assert options["message_until"] is not None


def test_detail_says_why_no_dm(app, team):
    tok = team["owner"].get(f"/targets/{team['tok']}").get_json()["dm_options"]
    assert tok["available"] is False and "TikTok" in tok["unavailable_reason"]
    with app.app_context():
        db.session.get(Target, team["warm"]).opted_out_at = utcnow()
        db.session.commit()
    warm = team["owner"].get(f"/targets/{team['warm']}").get_json()["dm_options"]
    assert warm["available"] is False and "opt-out" in warm["unavailable_reason"]
    with app.app_context():
        db.session.get(SocialAccount, team["insta"]).status = "needs_reconnect"
        db.session.commit()
    hot = team["owner"].get(f"/targets/{team['hot']}").get_json()["dm_options"]
    assert hot["available"] is False and "reconnected" in hot["unavailable_reason"]


def test_another_workspace_sees_404_everywhere(team, factory):
    stranger = factory.user()
    own = factory.workspace(stranger, name="Theirs")
    assert stranger.get(f"/targets/{team['hot']}").status_code == 404
    assert stranger.get(f"/targets/workspace/{team['ws']['id']}").status_code == 404
    assert stranger.post(f"/targets/update/{team['ws']['id']}", json={}).status_code == 404
    assert stranger.get(f"/targets/workspace/{own['id']}").get_json()["items"] == []
    assert team["owner"].get("/targets/999999").status_code == 404


def test_scoring_settings_patch_merges_and_validation_names_the_field(team):
    path = f"/workspaces/{team['ws']['id']}"
    ok = team["owner"].patch(path, json={"settings": {"scoring": {"hot_threshold": 80, "weights": {"message": 30}}}})
    assert ok.status_code == 200, ok.get_json()
    scoring = ok.get_json()["settings"]["scoring"]
    assert scoring["hot_threshold"] == 80 and scoring["weights"]["message"] == 30
    assert scoring["weights"]["intent"] == 20 and scoring["half_life_days"] == 7  # untouched keys kept
    bad = team["owner"].patch(path, json={"settings": {"scoring": {"cool_threshold": 85}}})
    assert bad.status_code == 422
    assert "settings.scoring.cool_threshold" in bad.get_json()["error"]["fields"]
    for change, field in [
        ({"half_life_days": 0}, "settings.scoring.half_life_days"),
        ({"weights": {"opt_out": 5}}, "settings.scoring.weights.opt_out"),
        ({"daily_caps": {"comment": 0}}, "settings.scoring.daily_caps.comment"),
        ({"group_caps": {"nope": 1}}, "settings.scoring.group_caps.nope"),
    ]:
        bad = team["owner"].patch(path, json={"settings": {"scoring": change}})
        assert bad.status_code == 422 and field in bad.get_json()["error"]["fields"], (change, bad.get_json())


def test_dm_options_follow_the_sending_rules_a_paused_account_offers_no_dm(app, team):
    with app.app_context():
        db.session.get(SocialAccount, team["insta"]).paused = True
        db.session.commit()
    hot = team["owner"].get(f"/targets/{team['hot']}").get_json()["dm_options"]
    # Approving would be refused (eligibility.check_sender), so nothing is offered, and the reason says why.
    assert hot["available"] is False and "paused" in hot["unavailable_reason"]
    assert hot["private_replies"] == [] and hot["message_until"] is None
