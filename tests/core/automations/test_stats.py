"""Outcomes per variant from what was recorded: sent, replied within 72 h, leads, won; Wilson intervals and the
verdict."""

from __future__ import annotations

from datetime import timedelta

from core.db import db, utcnow
from core.models import Lead, SocialAccount
from core.services.automations import stats
from tests.automation_setup import rule, sent_by_rule, template


def _record(shop, made, variant, *, sent: int, replied: int, won: int = 0, late: int = 0) -> None:
    account = db.session.get(SocialAccount, shop.account_id)
    sent_at = utcnow() - timedelta(days=4)
    for n in range(sent):
        answered = n < replied + late
        replied_at = sent_at + timedelta(hours=5 if n < replied else 80) if answered else None  # 80 h: too late
        target = sent_by_rule(account, made.id, variant.id, sent_at=sent_at, replied_at=replied_at)
        if n < won:
            db.session.add(Lead(workspace_id=shop.workspace_id, target_id=target.id, status="won"))
    db.session.commit()


def _two_variants(shop, actor):
    a = template(shop.workspace_id, "A", "Hi {{username}}")
    b = template(shop.workspace_id, "B", "Hello {{username}}")
    made = rule(shop, actor, variants=[{"templateId": a, "weight": 50}, {"templateId": b, "weight": 50}])
    from core.services.automations import rules

    return made, rules.variants_of(made.id)


def test_rates_intervals_and_a_clear_winner(shop_owner):
    shop, actor = shop_owner
    made, (a, b) = _two_variants(shop, actor)
    _record(shop, made, a, sent=60, replied=6, late=4)  # 4 answered after 72 h: not counted
    _record(shop, made, b, sent=60, replied=24, won=5)
    figures = stats.of_rule(made.id, actor=actor)
    first, second = figures.variants
    assert (first.sent, first.replied, second.sent, second.replied, second.won) == (60, 6, 60, 24, 5)
    assert second.reply_rate.value == 0.4
    low, high = second.reply_rate.interval
    assert 0.28 < low < 0.4 < high < 0.53  # Wilson's 95% interval around 24/60
    assert (figures.replies.code, figures.replies.leader) == ("better", "B")
    assert figures.replies.p_value < 0.05
    assert first.leads == 0 and second.leads == 5


def test_not_enough_data_yet(shop_owner):
    shop, actor = shop_owner
    made, (a, b) = _two_variants(shop, actor)
    _record(shop, made, a, sent=8, replied=2)
    _record(shop, made, b, sent=8, replied=3)
    figures = stats.of_rule(made.id, actor=actor)
    assert figures.replies.code == "not_enough_data"
    assert figures.by_day[-5][1] == 16 and len(figures.by_day) == stats.CHART_DAYS  # all sent four days ago
