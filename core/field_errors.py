"""Pydantic's complaints about a field, as translatable messages (the English text stays pydantic's own)."""

from __future__ import annotations

from typing import Any

from core.i18n import Text, _

# Pydantic's English templates by error type, marked for the catalogue; `{x}` in pydantic is `%(x)s` here.
MESSAGES: dict[str, Text] = {
    "missing": _("Field required"),
    "extra_forbidden": _("Extra inputs are not permitted"),
    "string_type": _("Input should be a valid string"),
    "string_too_short": _("String should have at least %(min_length)s characters"),
    "string_too_long": _("String should have at most %(max_length)s characters"),
    "int_type": _("Input should be a valid integer"),
    "int_parsing": _("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": _("Input should be a valid integer, got a number with a fractional part"),
    "float_parsing": _("Input should be a valid number, unable to parse string as a number"),
    "bool_type": _("Input should be a valid boolean"),
    "bool_parsing": _("Input should be a valid boolean, unable to interpret input"),
    "greater_than": _("Input should be greater than %(gt)s"),
    "greater_than_equal": _("Input should be greater than or equal to %(ge)s"),
    "less_than": _("Input should be less than %(lt)s"),
    "less_than_equal": _("Input should be less than or equal to %(le)s"),
    "literal_error": _("Input should be %(expected)s"),
    "enum": _("Input should be %(expected)s"),
    "list_type": _("Input should be a valid list"),
    "dict_type": _("Input should be a valid dictionary"),
    "model_type": _("Input should be a valid dictionary or instance of %(class_name)s"),
    "datetime_type": _("Input should be a valid datetime"),
    "url_parsing": _("Input should be a valid URL, %(error)s"),
}


def field_message(err: dict[str, Any]) -> str:
    """The error's message as a `Text` when we know its type (and it reads exactly as pydantic wrote it)."""
    template = MESSAGES.get(err.get("type", ""))
    if template is None:
        return err["msg"]
    params = {key: str(value) for key, value in (err.get("ctx") or {}).items()}
    text = _(template.msgid, **params)
    # Pydantic may word a variant differently (a new version, a custom validator): then keep its text.
    return text if str(text) == err["msg"] else err["msg"]
