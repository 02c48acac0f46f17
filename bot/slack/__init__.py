"""Slack: the bolt app on /slack/events, the OAuth install, and what the bot posts."""
