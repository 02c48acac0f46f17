"""A DM that fails or ends `unknown` emits no outbox event: its cards still show the outcome, because the
chat dispatcher follows DM state changes (DmEvent) and re-renders the cards from the current state."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.models import DirectMessage
from tests.bot.scenario import about_to_be_hot, card_refs, chat_config, linked_workspace
from worker.jobs.chat import dispatch_alerts


@pytest.fixture
def app_config(slack_emulator, telegram_emulator, instagram_emulator):
    return chat_config(slack_emulator, telegram_emulator, instagram_emulator)


def _fail_send(emulator) -> None:
    emulator.error_next(10, 2534014, message="already replied", method="POST", path_contains="/messages")


def _lose_send(emulator) -> None:
    emulator.fail_next(status=502, method="POST", path_contains="/messages")


def _approve_button(update: dict) -> bool:
    return any(
        e["action_id"] == "vf_approve" for b in update["blocks"] if b["type"] == "actions" for e in b["elements"]
    )


@pytest.mark.parametrize(
    ("fault", "status", "shown", "retry_offered"),
    [
        (_fail_send, "failed", "DM failed: Instagram says this comment already has its private reply.", True),
        (_lose_send, "unknown", "DM outcome unknown: check the conversation in Instagram before sending again", False),
    ],
)
def test_a_dm_sent_from_the_console_that_fails_shows_on_the_cards(
    app,
    client,
    console,
    factory,
    slack_emulator,
    telegram_emulator,
    instagram_emulator,
    fault,
    status,
    shown,
    retry_offered,
):
    shop = linked_workspace(client, console, factory, slack_emulator, telegram_emulator)
    about_to_be_hot(app, instagram_emulator, shop)
    with app.app_context():
        assert dispatch_alerts()["posted"] == 2
    refs = card_refs(app, shop.target_id)
    assert not slack_emulator.updates()

    fault(instagram_emulator)
    response = shop.owner.post(
        "/dm/send", json={"targetId": shop.target_id, "text": "Hi ana, here is the price list!"}, buffered=True
    )
    assert response.status_code == 202, response.get_json()
    with app.app_context():
        dm = db.session.scalar(
            select(DirectMessage).where(DirectMessage.target_id == shop.target_id).order_by(DirectMessage.id.desc())
        )
        assert dm.status == status

    # No event was emitted for the outcome; the DM's state changes alone updated both cards in place.
    update = slack_emulator.updates()[-1]
    assert update["ts"] == refs["slack"] and shown in update["text"]
    assert "sending…" not in update["text"]
    assert _approve_button(update) is retry_offered
    edits = [p for p in telegram_emulator.params("editMessageText") if str(p["message_id"]) == refs["telegram"]]
    assert edits and shown in edits[-1]["text"]

    # Re-reading the same changes (the settle window) edits nothing again.
    count = len(slack_emulator.updates())
    with app.app_context():
        assert dispatch_alerts()["refreshed"] == 0
    assert len(slack_emulator.updates()) == count
