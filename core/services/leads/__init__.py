"""Leads: made from targets, moved through the pipeline until won or lost, exported.

Public use cases:
- `changes.create`, `change_status` (the one status change, for every door and the system), `update`,
  `bulk_update`, `get`
- `intake.create_leads`, `auto_leads_from_hot`: leads in bulk
- `queries.page`, `counts_by_status`; `read.views_of`, `view_of`, `detail`; `timeline.timeline`
- `export.start`: the CSV export job
- `pipeline`: the statuses, allowed moves and field rules shared by every door
"""
