"""Chat doors' use cases (Slack, Telegram): installations, links, dedupe, alert deliveries, cards.

Nothing here talks to Slack or Telegram: the doors in bot/ call these with plain values.
"""
