"""The dry run tells what the rule then does on the same comments; variants split by weight; keywords are whole
words with accents and case ignored."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from core.db import db
from core.models import AutomationVariant, DirectMessage, Target
from core.services.automations import dry_run, matching
from core.services.privacy import contact_policy
from tests.automation_setup import comment_webhook, rule, run_passes, template, triggers


def test_keywords_are_whole_words_whatever_the_accents_and_case():
    keywords = ["prix", "price list", "combien"]
    assert matching.keyword_in("Quel est le PRÍX ?", keywords) == "prix"
    assert matching.keyword_in("le surprix me gêne", keywords) is None
    assert matching.keyword_in("send the price   list please", keywords) == "price list"
    assert matching.keyword_in("C'est COMBIEN?", keywords) == "combien"
    assert matching.keyword_in("pricelist", keywords) is None
    assert matching.keyword_in(None, keywords) is None


def test_variants_split_by_weight_over_a_thousand_triggers():
    rule = SimpleNamespace(id=7)
    variants = [
        AutomationVariant(id=1, label="A", weight=60, paused=False),
        AutomationVariant(id=2, label="B", weight=30, paused=False),
        AutomationVariant(id=3, label="C", weight=10, paused=False),
        AutomationVariant(id=4, label="D", weight=50, paused=True),
    ]
    picks = [matching.choose(rule, variants, interaction_id).label for interaction_id in range(1, 1001)]
    shares = {label: picks.count(label) / len(picks) for label in "ABCD"}
    assert abs(shares["A"] - 0.6) < 0.05 and abs(shares["B"] - 0.3) < 0.05 and abs(shares["C"] - 0.1) < 0.03
    assert shares["D"] == 0  # a paused variant is never chosen
    again = [matching.choose(rule, variants, interaction_id).label for interaction_id in range(1, 1001)]
    assert again == picks  # the same comment always draws the same variant


def test_the_dry_run_matches_what_the_rule_then_does(app, client, shop_owner, instagram_emulator):
    shop, actor = shop_owner
    second = template(shop.workspace_id, "Short", "Prices: link in bio, {{username}}")
    first = template(shop.workspace_id, "Price list", "Hi {{username}}, here is our price list.")
    made = rule(shop, actor, variants=[{"templateId": first, "weight": 50}, {"templateId": second, "weight": 50}])
    for text in ("price?", "Prix svp", "nice", "PRICE!!", "love the colours", "price", "price"):
        comment_webhook(client, instagram_emulator, shop, text)
    blocked = db.session.scalars(select(Target).where(Target.workspace_id == shop.workspace_id)).all()[-1]
    contact_policy.block(blocked, "opt_out")
    db.session.commit()

    preview = dry_run.run(made.id, actor=actor)
    assert (preview.examined, preview.matched, preview.would_act, preview.held) == (7, 5, 4, 1)
    expected = {(r.interaction.id, r.outcome, r.variant.label if r.variant else None) for r in preview.rows}

    run_passes(app)
    done = {
        (t.interaction_id, {"queued": "would_send", "excluded": "excluded"}[t.outcome], _label(t.variant_id))
        for t in triggers(shop.workspace_id)
        if t.rule_id == made.id
    }
    assert done == expected
    queued = db.session.scalars(select(DirectMessage).where(DirectMessage.workspace_id == shop.workspace_id)).all()
    assert sorted(dm.status for dm in queued) == ["approved", "approved", "approved", "sent"]  # the rest paced
    assert {v for _i, _o, v in expected} >= {"A", "B"}  # both variants are drawn


def _label(variant_id: int | None) -> str | None:
    return db.session.get(AutomationVariant, variant_id).label if variant_id else None
