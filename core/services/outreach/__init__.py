"""DM outreach: templates, eligibility, the DM lifecycle, quotas and pacing, sending, sequences.

Modules are small and each door calls them directly (e.g. `dms.approve`), the same function from the
console, the API, Slack, Telegram and jobs.
"""
