"""Outgoing mail: recorded in `mail_messages`, sent by the `send-mail` job through SMTP, retried.

- `outbox.record`, `outbox.start`: queue a message (after the commit) for the job.
- `outbox.deliver`: the job's body (send, retry later, or give up).
- `report.recent`: the operators' view of the last day's mail.
- `digest_mail`, `hot_alerts`: the daily digest and the batched hot-target alerts, per subscriber;
  `subscriptions` finds who has the switch on and records each mail once; `unsubscribe` is the
  RFC 8058 one-click link that turns the switch off.
"""
