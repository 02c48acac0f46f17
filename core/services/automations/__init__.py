"""Automations: rules that answer comments, story replies and messages by themselves, with A/B-tested messages.

Public use cases:
- `rules.create`, `update`, `delete`, `get`, `list_for`, `set_variant_paused`, `promote`
- `runner.after_rescore`, `run_pass`: the new interactions of a workspace meet its active rules, once each
- `dry_run.run`: what a rule would have done with the last 7 days' interactions
- `stats.of_rule`: sent, replied, leads, won per variant, with intervals and a verdict
- `public_replies.after_sent`, `post`: the public reply under a comment, after its private reply went out
"""
