"""Every periodic job, declared once. Adding, changing or removing one is a one-line diff.

`id` is stable: the scheduler syncs by id, so a restart never duplicates or drops an entry.
`cron` is in UTC. `result_ttl` must outlive the interval so rq-scheduler can follow the chain.
"""

from __future__ import annotations

from typing import TypedDict

from core import job_names


class PeriodicJob(TypedDict):
    id: str
    func: str
    cron: str
    queue: str
    description: str


PERIODIC_JOBS: list[PeriodicJob] = [
    {
        "id": "audit-log-retention",
        "func": job_names.PURGE_AUDIT_LOG,
        "cron": "17 3 * * *",
        "queue": "bulk",
        "description": "Delete audit entries older than AUDIT_RETENTION_DAYS.",
    },
    {
        "id": "job-run-retention",
        "func": job_names.PURGE_JOB_RUNS,
        "cron": "47 3 * * *",
        "queue": "bulk",
        "description": "Blank done job runs' arguments after a day; delete them after JOB_RUN_RETENTION_DAYS.",
    },
    {
        "id": "purge-raw-payloads",
        "func": job_names.PURGE_RAW_PAYLOADS,
        "cron": "29 3 * * *",
        "queue": "bulk",
        "description": "Null raw platform payloads older than each workspace's raw_payload_retention_days.",
    },
    {
        "id": "integrations-sweep",
        "func": job_names.SWEEP_DELIVERIES,
        "cron": "* * * * *",
        "queue": "default",
        "description": "Dispatch outbox events a crash left behind, free stale attempts, queue due retries.",
    },
    {
        "id": "refresh-tokens",
        "func": job_names.REFRESH_TOKENS,
        # TikTok access tokens last about a day: every 4 h refreshes them before they lapse.
        "cron": "41 */4 * * *",
        "queue": "default",
        "description": "Refresh Instagram/TikTok tokens that are due; flag the ones the platform refused.",
    },
    {
        "id": "collect-interactions",
        "func": job_names.ENQUEUE_DUE_COLLECTIONS,
        "cron": "*/15 * * * *",
        "queue": "default",
        "description": "Start collecting every active account (spread over the cycle with jitter).",
    },
    {
        "id": "dm-advance-sequences",
        "func": job_names.ADVANCE_SEQUENCES,
        "cron": "*/5 * * * *",
        "queue": "interactive",
        "description": "Advance due DM sequence enrolments (send, wait for a window, or expire).",
    },
    {
        "id": "dm-reset-quotas",
        "func": job_names.RESET_QUOTAS,
        "cron": "2 * * * *",
        "queue": "default",
        "description": "Hourly: drop DM quota counters whose day is over in each workspace's time zone.",
    },
    {
        "id": "dm-recover-stuck-sends",
        "func": job_names.RECOVER_STUCK_SENDS,
        "cron": "*/10 * * * *",
        "queue": "interactive",
        "description": "Mark DMs left sending by a dead worker as unknown (never resent).",
    },
    {
        "id": "dm-requeue-stranded",
        "func": job_names.REQUEUE_STRANDED_SENDS,
        "cron": "*/10 * * * *",
        "queue": "interactive",
        "description": "Queue approved DMs whose send job could not be queued (job queue down at approval).",
    },
    {
        "id": "rescore-targets",
        "func": job_names.RESCORE_ALL_WORKSPACES,
        "cron": "7 * * * *",
        "queue": "bulk",
        "description": "Full rescore of every active workspace, so decay lowers scores nobody touched.",
    },
    {
        "id": "chat-dispatch-alerts",
        "func": job_names.DISPATCH_CHAT_ALERTS,
        "cron": "* * * * *",
        "queue": "interactive",
        "description": "Slack/Telegram: post alerts for new outbox events, refresh cards, retry pending posts.",
    },
    {
        "id": "chat-daily-digest",
        "func": job_names.POST_DIGESTS,
        "cron": "0 * * * *",
        "queue": "default",
        "description": "Slack/Telegram: post the daily digest where it is 09:00 in the workspace's time zone.",
    },
    {
        "id": "mail-daily-digest",
        "func": job_names.MAIL_DIGESTS,
        "cron": "4,19,34,49 * * * *",
        "queue": "default",
        "description": "Mail each member's daily digest at their chosen hour in their time zone.",
    },
    {
        "id": "mail-hot-alerts",
        "func": job_names.MAIL_HOT_ALERTS,
        "cron": "*/5 * * * *",
        "queue": "default",
        "description": "Mail hot-target alerts, batched: at most one per person per 15 minutes.",
    },
    {
        "id": "chat-purge-keys",
        "func": job_names.PURGE_CHAT_KEYS,
        "cron": "23 4 * * *",
        "queue": "bulk",
        "description": "Forget processed Slack/Telegram update and action ids older than 3 days.",
    },
]
