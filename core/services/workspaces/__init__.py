"""Workspaces: creating them, their members and settings, their status and dashboard.

Public use cases:
- `lifecycle.list_for`, `page_for`, `create`, `get`, `update`, `members_page`, `add_member`,
  `change_role`, `remove_member`
- `settings.read`, `merge`: the validated settings document
- `status.is_active`, `ensure_can_schedule`: suspension (nothing runs for a suspended workspace)
- `dashboard.build`
"""
