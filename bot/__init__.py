"""The chat door: Slack (slack-bolt, HTTP mode) and Telegram (python-telegram-bot) on the shared app.

Both parse what the chat sends, call the same core services as the console, and render the answer.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from bot.slack.routes import bp as slack_bp
    from bot.telegram.webhook import bp as telegram_bp
    from vistaflow.web import csrf

    for bp in (slack_bp, telegram_bp):
        csrf.exempt(bp)  # signed by Slack / carrying Telegram's secret header, not browser forms
        app.register_blueprint(bp)
