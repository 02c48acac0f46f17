"""Checks on every request body before any door parses it: one place, every JSON endpoint.

Doors parse JSON in different ways (the API's request.get_json, the Meta webhook's json.loads of the
signed raw body, slack_bolt's own parser of a JSON body or of the `payload` form field), so the depth
is checked here, on the raw bytes, before the view or bolt sees them.
"""

from __future__ import annotations

from flask import Flask, request

from core.payloads import check_nesting

FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
# Form fields that carry JSON (Slack's interactivity payload).
JSON_FORM_FIELDS = ("payload",)


def refuse_deep_json() -> None:
    """Malformed (400 naming the field) for a body, or a JSON form field, nested beyond the limit."""
    # Whatever the method or Content-Length (a chunked body has none): a view may still read the body.
    if request.mimetype in FORMS:
        # Keep the raw body first: slack_bolt reads it again (to check the signature) after the form is parsed.
        request.get_data(cache=True)
        for name in JSON_FORM_FIELDS:
            check_nesting(request.form.get(name), field=name)
        return
    check_nesting(request.get_data(cache=True))


def init_app(app: Flask) -> None:
    app.before_request(refuse_deep_json)
