"""Reading people: what the team teaches the intent and opt-out reader, and each workspace's retrained version.

Public use cases:
- `labels.label_interaction`: "not a buyer", "is a buyer", "not an opt-out", "asked to stop"
- `versions.retrain`, `versions.rollback`, `versions.history`: the workspace's reader versions
- `versions.adjustment_for`: the correction ingest applies for a workspace
"""
