"""The daily digest in chat says what each automation did: "Rule “Prix”: 2 DMs sent, 1 reply."."""

from __future__ import annotations

import pytest

from core.db import db, utcnow
from core.models import AutomationRule
from core.services.chat import digest
from tests.automation_setup import sent_by_rule
from tests.bot.helpers import install_slack
from tests.bot.scenario import chat_config
from tests.factories import make_account
from worker.jobs.chat import post_message


@pytest.fixture
def app_config(slack_emulator, telegram_emulator, instagram_emulator):
    return chat_config(slack_emulator, telegram_emulator, instagram_emulator)


def test_the_digest_has_a_line_per_automation_that_sent(app, client, console, factory, slack_emulator):
    owner = factory.user(name="Olive")
    ws = factory.workspace(owner, name="Shop")["id"]
    install_slack(client, console, slack_emulator, owner, ws)
    with app.app_context():
        account = make_account(ws)
        rule = AutomationRule(workspace_id=ws, name="Prix", trigger={"on": ["comment"]}, exclusions={})
        quiet = AutomationRule(workspace_id=ws, name="Quiet", trigger={"on": ["comment"]}, exclusions={})
        db.session.add_all([rule, quiet])
        db.session.flush()
        for n in range(2):
            sent_by_rule(account, rule.id, None, sent_at=utcnow(), replied_at=utcnow() if n == 0 else None)
        db.session.commit()
        [made] = digest.record_due(force=True)
        assert post_message(made)["posted"] is True
    [text] = [p["text"] for p in slack_emulator.posts() if "Daily digest" in p["text"]]
    assert "🤖 Rule “Prix”: 2 DMs sent, 1 reply." in text
    assert "Quiet" not in text  # a rule that did nothing says nothing
