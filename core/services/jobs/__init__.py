"""Recorded background jobs as people see them, how long their records are kept, the single-process clock.

Public use cases:
- `runs.get`, `page_for_workspace`, `retry`: reading and retrying a workspace's jobs
- `retention.purge`, `blank_args_naming`: job run retention and erasure of quoted personal data
- `clock`: the single-process clock's lease, periodic entries and due runs
"""
