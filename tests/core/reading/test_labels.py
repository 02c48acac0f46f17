"""Teaching the reader: POST /interactions/:id/label overrides the reading at once, rescores the person,
"asked to stop" blocks them, and a workspace's labels train only that workspace's version."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.db import db
from core.intent import classify
from core.models import DirectMessage, DoNotContact, Interaction, InteractionLabel, ReaderVersion, Target
from core.services.privacy import contact_policy
from core.services.reading import versions
from core.services.targets.rescore import rescore_workspace
from tests.factories import make_account, make_interaction, make_target
from worker.jobs.reading import retrain_reader


@pytest.fixture
def team(factory):
    return factory.rivals(with_member=True)


def _person(app, workspace_id: int, *texts: str, kind: str = "comment") -> tuple[list[int], int]:
    with app.app_context():
        target = make_target(make_account(workspace_id))
        ids = [make_interaction(target, text=text, kind=kind).id for text in texts]
        rescore_workspace(workspace_id, full=True)
        return ids, target.id


def _target(app, target_id: int) -> Target:
    with app.app_context():
        target = db.session.get(Target, target_id)
        db.session.expunge(target)
        return target


def test_not_a_buyer_turns_the_intent_off_and_rescores_the_person_now(app, team):
    (iid,), tid = _person(app, team["ws"], "how much is the blue one?")
    before = _target(app, tid)
    assert any(r.startswith("asked for the price") for r in before.score_reasons)

    answer = team["member"].post(f"/interactions/{iid}/label", json={"label": "not_buyer"})

    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["label"] == "not_buyer" and body["interaction"]["has_intent"] is False
    after = _target(app, tid)
    assert after.score < before.score and body["target_score"] == after.score
    assert not any(r.startswith("asked for the price") for r in after.score_reasons)
    with app.app_context():
        assert db.session.scalar(select(InteractionLabel.label).where(InteractionLabel.interaction_id == iid)) == (
            "not_buyer"
        )


def test_is_a_buyer_turns_the_intent_on_with_a_quoted_reason(app, team):
    (iid,), tid = _person(app, team["ws"], "on se voit samedi au marché alors")
    before = _target(app, tid)

    body = team["owner"].post(f"/interactions/{iid}/label", json={"label": "buyer"}).get_json()

    assert body["interaction"]["has_intent"] is True
    assert "“on se voit samedi au marché alors”" in body["interaction"]["intent_reason"]
    assert _target(app, tid).score > before.score


def test_asked_to_stop_blocks_the_person_and_cancels_their_drafts(app, team):
    (iid,), tid = _person(app, team["ws"], "ok bye now", kind="message")
    with app.app_context():
        target = db.session.get(Target, tid)
        db.session.add(
            DirectMessage(
                workspace_id=target.workspace_id,
                social_account_id=target.social_account_id,
                target_id=tid,
                kind="message",
                text="hello",
                status="draft",
            )
        )
        db.session.commit()

    body = team["member"].post(f"/interactions/{iid}/label", json={"label": "opt_out"}).get_json()

    assert body["opted_out"] is True
    with app.app_context():
        target = db.session.get(Target, tid)
        assert contact_policy.is_blocked(target.workspace_id, target.platform, target.platform_user_id)
        assert db.session.get(Interaction, iid).is_opt_out
        assert db.session.scalar(select(DirectMessage.status).where(DirectMessage.target_id == tid)) == "cancelled"


def test_not_an_opt_out_lifts_a_block_only_the_misreading_put_there(app, team):
    (iid,), tid = _person(app, team["ws"], "STOP c'est magnifique", kind="message")
    with app.app_context():
        interaction = db.session.get(Interaction, iid)
        interaction.is_opt_out = True  # as the old keyword reader read it
        contact_policy.block(db.session.get(Target, tid), "opt_out")
        db.session.commit()
    (other_iid,), other_tid = _person(app, team["ws"], "STOP c'est trop beau", kind="message")
    with app.app_context():
        db.session.get(Interaction, other_iid).is_opt_out = True
        contact_policy.block(db.session.get(Target, other_tid), "manual")  # a person put them there
        db.session.commit()

    assert team["member"].post(f"/interactions/{iid}/label", json={"label": "not_opt_out"}).status_code == 200
    assert team["member"].post(f"/interactions/{other_iid}/label", json={"label": "not_opt_out"}).status_code == 200

    with app.app_context():
        freed, kept = db.session.get(Target, tid), db.session.get(Target, other_tid)
        assert not contact_policy.is_blocked(freed.workspace_id, freed.platform, freed.platform_user_id)
        assert freed.opted_out_at is None
        assert contact_policy.is_blocked(kept.workspace_id, kept.platform, kept.platform_user_id)


def test_a_bad_label_names_the_field_and_writes_nothing(app, team):
    (iid,), _ = _person(app, team["ws"], "how much?")
    answer = team["owner"].post(f"/interactions/{iid}/label", json={"label": "maybe"})
    assert answer.status_code == 422
    assert "label" in str(answer.get_json())
    unknown = team["owner"].post(f"/interactions/{iid}/label", json={"label": "buyer", "why": "x"})
    assert unknown.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InteractionLabel)) == 0


def test_another_workspace_cannot_label_or_see_versions(app, team):
    (iid,), tid = _person(app, team["ws"], "how much?")
    assert team["stranger"].post(f"/interactions/{iid}/label", json={"label": "opt_out"}).status_code == 404
    assert team["stranger"].get(f"/reading/workspace/{team['ws']}/versions").status_code == 404
    assert team["stranger"].post(f"/reading/workspace/{team['ws']}/rollback").status_code == 404
    with app.app_context():
        target = db.session.get(Target, tid)
        assert db.session.scalar(select(func.count()).select_from(DoNotContact)) == 0
        assert not db.session.get(Interaction, iid).is_opt_out and target.opted_out_at is None


CATERING = [
    "vous faites traiteur pour un mariage ?",
    "traiteur possible pour 40 personnes en juin ?",
    "vous proposez un service traiteur ?",
    "un devis traiteur pour notre séminaire svp",
    "traiteur pour un baptême le 12 ?",
    "vous livrez un buffet traiteur à Villeurbanne ?",
    "prestation traiteur pour une communion ?",
    "c'est possible en traiteur pour 25 ?",
]
NOT_BUYING = ["le chef est un génie", "on est venus hier, top", "la musique du resto ?", "trop bon ce tiramisu"]


def _label_all(api, ids: list[int], label: str) -> None:
    for iid in ids:
        assert api.post(f"/interactions/{iid}/label", json={"label": label}).status_code == 200


def test_labels_train_a_version_of_that_workspace_only(app, team):
    ids, _ = _person(app, team["ws"], *CATERING)
    negatives, _ = _person(app, team["ws"], *NOT_BUYING)
    held_out = "est-ce que vous faites traiteur pour une fête d'entreprise ?"
    shipped = classify(held_out).intent_probability
    _label_all(team["member"], ids, "buyer")
    _label_all(team["member"], negatives, "not_buyer")

    with app.app_context():
        trained = retrain_reader(team["ws"])
        assert (trained["version"], trained["labels"]) == (1, len(CATERING) + len(NOT_BUYING))
        assert retrain_reader(team["ws"]) == {"unchanged": 1}  # nothing new since
        mine = versions.adjustment_for(team["ws"])
        assert versions.adjustment_for(team["other"]) is None
        assert classify(held_out, mine).intent_probability > shipped + 0.1
        # The other workspace keeps reading with the shipped model.
        assert classify(held_out, versions.adjustment_for(team["other"])).intent_probability == pytest.approx(shipped)

    listing = team["member"].get(f"/reading/workspace/{team['ws']}/versions").get_json()
    assert listing["active_version"] == 1 and listing["versions"][0]["labels"] == 12
    assert set(listing["versions"][0]["quality"]) >= {"intent_f1_shipped", "intent_f1_version"}


def test_ingest_reads_with_the_workspace_version(app, team):
    from datetime import UTC, datetime

    from core.services.collection.ingest import Incoming, store

    ids, _ = _person(app, team["ws"], *CATERING)
    negatives, _ = _person(app, team["ws"], *NOT_BUYING)
    _label_all(team["owner"], ids, "buyer")
    _label_all(team["owner"], negatives, "not_buyer")
    text = "traiteur pour 60 invités fin août ?"
    with app.app_context():
        retrain_reader(team["ws"])
        account = make_account(team["ws"])
        incoming = Incoming(
            platform_id="c-new",
            kind="comment",
            text=text,
            occurred_at=datetime.now(UTC),
            author_platform_id="p-new",
            author_username="newbie",
        )
        store(account, [incoming], source="poll")
        db.session.commit()
        stored = db.session.scalar(select(Interaction).where(Interaction.platform_id == "c-new"))
        expected = classify(text, versions.adjustment_for(team["ws"]))
        assert stored.has_intent == expected.has_intent


def test_rollback_goes_back_one_version_then_to_the_shipped_reader(app, team):
    ids, _ = _person(app, team["ws"], *CATERING)
    negatives, _ = _person(app, team["ws"], *NOT_BUYING)
    _label_all(team["owner"], ids[:4] + negatives[:2], "buyer")
    with app.app_context():
        retrain_reader(team["ws"])
    _label_all(team["owner"], negatives[2:], "not_buyer")
    with app.app_context():
        retrain_reader(team["ws"])

    assert team["member"].post(f"/reading/workspace/{team['ws']}/rollback").status_code == 403
    back = team["owner"].post(f"/reading/workspace/{team['ws']}/rollback")
    assert back.status_code == 200 and back.get_json()["active_version"] == 1
    shipped = team["owner"].post(f"/reading/workspace/{team['ws']}/rollback").get_json()
    assert shipped["active_version"] is None and len(shipped["versions"]) == 2
    assert team["owner"].post(f"/reading/workspace/{team['ws']}/rollback").status_code == 409
    with app.app_context():
        assert versions.adjustment_for(team["ws"]) is None
        assert db.session.scalar(select(func.count()).select_from(ReaderVersion).where(ReaderVersion.is_active)) == 0


MUSIC = [
    "le nom du groupe qui jouait samedi ?",
    "la chanson qui passait hier soir ?",
    "qui a fait la déco du resto ?",
    "c'est quelle musique en fond ?",
    "la playlist de samedi soir ?",
    "c'est quoi cette chanson ?",
]


def test_a_new_version_reads_the_recent_interactions_again_and_rescores(app, team):
    ids, _ = _person(app, team["ws"], *CATERING)
    negatives, _ = _person(app, team["ws"], *NOT_BUYING, *MUSIC)
    (unlabelled,), tid = _person(app, team["ws"], "c'est quoi la playlist du resto ?")
    with app.app_context():
        assert db.session.get(Interaction, unlabelled).has_intent is True  # the shipped reader sees a buyer
        before = db.session.get(Target, tid).score
    _label_all(team["owner"], ids, "buyer")
    _label_all(team["owner"], negatives, "not_buyer")
    with app.app_context():
        trained = retrain_reader(team["ws"])
        assert trained["changed"] >= 1 and trained["rescored"] >= 1
        db.session.expire_all()
        assert db.session.get(Interaction, unlabelled).has_intent is False  # read again with the new version
        assert db.session.get(Target, tid).score < before
        # What a person labelled keeps its label: a re-reading never overrides the team.
        assert all(db.session.get(Interaction, i).has_intent for i in ids)
        assert not any(db.session.get(Interaction, i).has_intent for i in negatives)
