"""A target made hot reaches Slack and Telegram right after the commit, through the outbox kick (no
every-minute job involved): in-process without Redis, and on RQ with a real worker process."""

from __future__ import annotations

import pytest

from tests.bot.scenario import (
    about_to_be_hot,
    card_refs,
    chat_config,
    linked_workspace,
    slack_cards,
    telegram_cards,
)
from tests.conftest import wait_for


@pytest.fixture
def app_config(slack_emulator, telegram_emulator, instagram_emulator):
    return chat_config(slack_emulator, telegram_emulator, instagram_emulator)


def test_a_rescore_request_that_makes_a_target_hot_posts_its_cards_once_the_response_is_sent(
    app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator
):
    shop = linked_workspace(client, console, factory, slack_emulator, telegram_emulator)
    about_to_be_hot(app, instagram_emulator, shop, rescore=False)
    assert slack_cards(slack_emulator) == []

    # buffered: the test client closes the response as a WSGI server does, which runs the deferred kick.
    response = shop.owner.post(f"/targets/update/{shop.ws}", json={"full": True}, buffered=True)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["became_hot"] == 1

    assert len(slack_cards(slack_emulator)) == 1
    assert len(telegram_cards(telegram_emulator)) == 1
    assert set(card_refs(app, shop.target_id)) == {"slack", "telegram"}


class TestWithARealWorker:
    @pytest.fixture
    def app(self, redis_app):
        return redis_app

    def test_a_rescore_job_that_makes_a_target_hot_kicks_the_chat_dispatch_on_rq(
        self, redis_app, client, console, factory, slack_emulator, telegram_emulator, instagram_emulator, start_worker
    ):
        # The worker is a separate process: it reaches the emulators through the environment.
        start_worker(**chat_config(slack_emulator, telegram_emulator, instagram_emulator))
        shop = linked_workspace(client, console, factory, slack_emulator, telegram_emulator)
        wait_for(
            lambda: any("Linked to" in p["text"] for p in telegram_emulator.params("sendMessage")),
            timeout=30,
            message="the Telegram link confirmation",
        )
        about_to_be_hot(app=redis_app, instagram_emulator=instagram_emulator, shop=shop, rescore=False)

        response = shop.owner.post(f"/targets/update/{shop.ws}", json={"full": True})
        assert response.status_code == 202  # queued on Redis: nothing ran in the web process
        assert slack_cards(slack_emulator) == []
        # No scheduler runs here: only the kick after the rescore job can start the chat dispatch.
        wait_for(lambda: slack_cards(slack_emulator), timeout=30, message="the Slack card")
        wait_for(lambda: telegram_cards(telegram_emulator), timeout=30, message="the Telegram message")
        assert len(slack_cards(slack_emulator)) == 1 and len(telegram_cards(telegram_emulator)) == 1
