"""DM outreach: templates, eligibility, the DM lifecycle, quotas and pacing, sending, sequences.

Modules are small and each door calls them directly (e.g. `dms.approve`), the same function from the
console, the API, Slack, Telegram and jobs.

Public use cases:
- `dms.create_draft`, `edit`, `approve`, `skip`, `cancel`, `send_now`, `bulk_approve`, `page_for`
- `approvals.queue`: drafts by urgency; `composer.view`, `save_draft`, `send_now`: a DM composed by hand
- `templates.page_for`, `get`, `create`, `update`, `delete`, `preview`; `settings.read`, `update`
- `sequences.create`, `enroll`, `pause`, `resume`, `cancel`, `advance_due`
- `sending.send`, `recover_stuck`; `queueing.requeue_stranded`; `quota.usage`, `purge_past_days`
- `followups.handle_inbound`, `lead_contacted`, `add_hot_drafts`: what follows a DM
- `eligibility.route_for`, `open_comments`: whether and how a DM may be sent
"""
