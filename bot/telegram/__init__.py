"""Telegram: the webhook on /telegram/webhook, polling for development, and what the bot posts."""
