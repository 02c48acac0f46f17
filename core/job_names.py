"""The name of every job function, in one place: core enqueues by these names and never imports worker.

A name is the dotted path RQ and `core.jobs.execute` resolve in the worker process; tests/test_job_names.py
checks each one resolves to a real function, and that no module spells a job path outside this file.
Most jobs live in worker/jobs/<feature>.py; the chat door's request work lives in bot/jobs.py.
"""

from __future__ import annotations

# RQ's entry points: a fresh app context, then the recorded job (or the periodic job) runs.
RQ_ENTRY = "worker.entry.run_job"
PERIODIC_ENTRY = "worker.entry.run_periodic"

# collection
COLLECT_ACCOUNT = "worker.jobs.collection.collect_account"
ENQUEUE_DUE_COLLECTIONS = "worker.jobs.collection.enqueue_due_collections"
PROCESS_META_DELIVERY = "worker.jobs.webhooks.process_meta_delivery"
# conversations
LOOKUP_PROFILES = "worker.jobs.conversations.lookup_profiles"
# targets (scoring)
RESCORE_WORKSPACE = "worker.jobs.scoring.rescore_workspace"
RESCORE_ALL_WORKSPACES = "worker.jobs.scoring.rescore_all_workspaces"
RESCORE_FLAGGED = "worker.jobs.scoring.rescore_flagged"
# outreach
SEND_DM = "worker.jobs.outreach.send_dm"
ADVANCE_ENROLLMENT = "worker.jobs.outreach.advance_enrollment"
ADVANCE_SEQUENCES = "worker.jobs.outreach.advance_sequences"
RESET_QUOTAS = "worker.jobs.outreach.reset_quotas"
RECOVER_STUCK_SENDS = "worker.jobs.outreach.recover_stuck_sends"
REQUEUE_STRANDED_SENDS = "worker.jobs.outreach.requeue_stranded_sends"
# integrations
DISPATCH_OUTBOX = "worker.jobs.integrations.dispatch_outbox"
DELIVER_INTEGRATION = "worker.jobs.integrations.deliver"
SWEEP_DELIVERIES = "worker.jobs.integrations.sweep_deliveries"
# accounts
REFRESH_TOKENS = "worker.jobs.tokens.refresh_tokens"
# chat
DISPATCH_CHAT_ALERTS = "worker.jobs.chat.dispatch_alerts"
POST_CHAT_MESSAGE = "worker.jobs.chat.post_message"
REFRESH_CHAT_CARDS = "worker.jobs.chat.refresh_cards"
POST_DIGESTS = "worker.jobs.chat.post_digests"
PURGE_CHAT_KEYS = "worker.jobs.chat.purge_chat_keys"
SLACK_ACTION = "bot.jobs.slack_action"
SLACK_COMMAND = "bot.jobs.slack_command"
TELEGRAM_UPDATE = "bot.jobs.telegram_update"
# mail
SEND_MAIL = "worker.jobs.mail.send_mail"
MAIL_DIGESTS = "worker.jobs.mail.mail_digests"
MAIL_HOT_ALERTS = "worker.jobs.mail.mail_hot_alerts"
# privacy, jobs, audit
PURGE_RAW_PAYLOADS = "worker.jobs.privacy.purge_raw_payloads"
PURGE_AUDIT_LOG = "worker.jobs.maintenance.purge_audit_log"
PURGE_JOB_RUNS = "worker.jobs.maintenance.purge_job_runs"
# reading people
RETRAIN_READER = "worker.jobs.reading.retrain_reader"
READ_AGAIN = "worker.jobs.reading.read_again"
# automations
POST_PUBLIC_REPLY = "worker.jobs.automations.post_public_reply"

# Paths recorded under an earlier name (queued runs, retries of old runs) -> where the job lives now.
RENAMED = {
    "worker.jobs.chat.slack_action": SLACK_ACTION,
    "worker.jobs.chat.slack_command": SLACK_COMMAND,
    "worker.jobs.chat.telegram_update": TELEGRAM_UPDATE,
}

JOB_FUNCTIONS = tuple(
    value for name, value in sorted(globals().items()) if name.isupper() and isinstance(value, str) and "." in value
)
