"""Chat (Slack, Telegram): installations, links, dedupe, cards, and the alerts posted to the chats.

The doors in bot/ parse what a chat sends and call these with plain values; alerts and cards go out
from here (`posting`, rendered by `slack_blocks` and `telegram_render` in the words of `wording`)
through the Slack and Telegram clients of core/platforms.

Public use cases:
- `installations.start_install`, `complete_install`, `set_channel`, `set_slack_alerts`,
  `set_telegram_alerts`, `uninstall`
- `links.issue_code`, `redeem_code`, `actor_for`, `link_member`, `unlink`, `unlink_telegram_chat`
- `cards.build`: what a hot target card shows; `alerts.dispatch`, `digest.record_due`
- `deliveries.claim`, `posted`, `failed`, `due_for_retry`: posting a message at most once at a time
- `dedupe.first_time`, `forget`, `purge`: each chat update handled once
- `posting.post`, `refresh_target`: post a recorded message, edit a person's cards in place
- `replies.draft_from_reply`: a reply to the bot's message about a person drafts the DM, on a new card
"""
