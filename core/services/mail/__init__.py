"""Outgoing mail: recorded in `mail_messages`, sent by the `send-mail` job through SMTP, retried.

- `outbox.record`, `outbox.start`: queue a message (after the commit) for the job.
- `outbox.deliver`: the job's body (send, retry later, or give up).
- `outbox.recent`: the operators' view of the last day's mail.
"""
