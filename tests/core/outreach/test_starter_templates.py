"""A new workspace drafts for hot people out of the box: an English and a French starter template, each
person written to in the language they write in."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.errors import Invalid
from core.models import DirectMessage, DmTemplate, Door, User, Workspace
from core.services.identity.actors import Actor
from core.services.outreach import settings as dm_settings
from core.services.outreach import templates
from core.services.targets import language
from core.services.targets.rescore import rescore_workspace
from core.services.workspaces.settings import read as read_settings
from tests.dm_setup import commenter, instagram_shop, messenger


@pytest.fixture
def app_config(instagram_emulator):
    return instagram_emulator.config()


@pytest.fixture
def shop(app, factory, instagram_emulator):
    owner = factory.user()
    workspace = factory.workspace(owner)
    with app.app_context():
        actor = Actor.for_user(db.session.get(User, owner.user["id"]), Door.CONSOLE)
        yield instagram_shop(instagram_emulator, workspace["id"]), actor


def _settings(workspace_id: int):
    return read_settings(db.session.get(Workspace, workspace_id).settings)


def _draft_text(target_id: int) -> str:
    return db.session.scalar(select(DirectMessage.text).where(DirectMessage.target_id == target_id))


def test_a_new_workspace_starts_with_an_english_default_and_a_french_template(shop):
    shop, _ = shop
    rows = db.session.scalars(select(DmTemplate).where(DmTemplate.workspace_id == shop.workspace_id))
    made = {t.name: t for t in rows}
    assert set(made) == {"Hello (English)", "Bonjour (français)"}
    chosen = _settings(shop.workspace_id)
    assert chosen.default_template_id == made["Hello (English)"].id
    assert chosen.language_templates == {"fr": made["Bonjour (français)"].id}


def test_people_who_become_hot_get_a_draft_in_their_language(shop, instagram_emulator):
    shop, _ = shop
    buyer, _ = commenter(instagram_emulator, shop, text="I want to buy this one, how do I order?")
    french, _ = messenger(instagram_emulator, shop, text="Bonjour, c'est combien le coffret ?")
    db.session.commit()
    rescore_workspace(shop.workspace_id, full=True)
    assert _draft_text(buyer.id).startswith(f"Hi @{buyer.username}, thanks for your comment!")
    assert _draft_text(french.id).startswith(f"Bonjour @{french.username}, merci pour votre commentaire !")


def test_a_default_the_team_writes_reaches_the_workspace_language_and_french_keeps_its_own(shop, instagram_emulator):
    shop, actor = shop
    own = templates.create(shop.workspace_id, actor=actor, name="Ours", body="Hey {{username}}, ours!")
    dm_settings.update(shop.workspace_id, actor=actor, default_template_id=own.id)
    buyer, _ = commenter(instagram_emulator, shop, text="where can I buy this?")
    french, _ = commenter(instagram_emulator, shop, text="Je veux acheter, quel prix ?")
    workspace = db.session.get(Workspace, shop.workspace_id)
    assert dm_settings.template_for(workspace, buyer).id == own.id
    assert dm_settings.template_for(workspace, french).name == "Bonjour (français)"


def test_deleting_the_french_template_falls_back_to_the_default(shop, instagram_emulator):
    shop, actor = shop
    french_id = _settings(shop.workspace_id).language_templates["fr"]
    templates.delete(french_id, actor=actor, workspace_id=shop.workspace_id)
    assert _settings(shop.workspace_id).language_templates == {"fr": None}
    french, _ = commenter(instagram_emulator, shop, text="Combien pour la bougie ?")
    workspace = db.session.get(Workspace, shop.workspace_id)
    assert dm_settings.template_for(workspace, french).name == "Hello (English)"


def test_a_language_template_must_be_one_of_the_workspace(shop, app, factory):
    shop, actor = shop
    other = factory.workspace(factory.user())["id"]
    foreign = db.session.scalar(select(DmTemplate.id).where(DmTemplate.workspace_id == other))
    before = _settings(shop.workspace_id).language_templates
    with pytest.raises(Invalid) as refused:
        dm_settings.update(shop.workspace_id, actor=actor, language_templates={"fr": foreign})
    assert "settings.language_templates.fr" in refused.value.fields
    with pytest.raises(Invalid) as unknown_language:
        dm_settings.update(shop.workspace_id, actor=actor, language_templates={"nl": foreign})
    assert any(f.startswith("settings.language_templates") for f in unknown_language.value.fields)
    db.session.rollback()
    assert _settings(shop.workspace_id).language_templates == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Combien pour la bougie ?", "fr"),
        ("Prix svp", "fr"),
        ("Où est la boutique", "fr"),
        ("how much is it?", "en"),
        ("where can I buy this", "en"),
        ("🔥🔥🔥", None),
        ("ok", None),
    ],
)
def test_the_language_of_a_comment_is_guessed_from_its_small_words(text, expected):
    assert language.guess(text) == expected
