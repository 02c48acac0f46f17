"""Where leads flow out: signed webhooks, Google Sheets, Notion, CRMs (clients in core/integrations/).

Public use cases:
- `configure.page_for`, `get`, `create`, `update`, `delete`, `send_test`: a workspace's integrations
- `configure.deliveries_page`, `replay`: their delivery log
"""
