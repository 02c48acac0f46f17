"""The templates a new workspace starts with: one in English, one in French, so hot people get drafts at once."""

from __future__ import annotations

from core.db import db
from core.models import DmTemplate, Workspace
from core.services.workspaces import settings as workspace_settings

# Written for any business: no post link or comment excerpt, which a DM outside a comment thread lacks.
STARTERS: dict[str, tuple[str, str]] = {
    "en": (
        "Hello (English)",
        "Hi {{username}}, thanks for your comment! Would you like more details? "
        "Happy to answer any question right here. {{account_name}}",
    ),
    "fr": (
        "Bonjour (français)",
        "Bonjour {{username}}, merci pour votre commentaire ! Vous souhaitez plus de détails ? "
        "Je réponds avec plaisir à vos questions ici. {{account_name}}",
    ),
}
LANGUAGES = tuple(STARTERS)


def add(workspace: Workspace, *, user_id: int | None) -> dict[str, DmTemplate]:
    """Create the starter templates and make them the drafts for hot people (no commit)."""
    made = {
        language: DmTemplate(
            workspace_id=workspace.id, name=name, body=body, language=language, created_by_user_id=user_id
        )
        for language, (name, body) in STARTERS.items()
    }
    db.session.add_all(made.values())
    db.session.flush()
    default_language = workspace_settings.read(workspace.settings).default_locale
    workspace.settings = workspace_settings.merge(
        workspace.settings,
        {
            "default_template_id": made[default_language].id,
            # The default speaks the workspace's language; people writing in another get theirs. A default
            # the team writes later then reaches everyone of the workspace's language.
            "language_templates": {
                language: template.id for language, template in made.items() if language != default_language
            },
        },
    )
    return made
