"""Connected social accounts (Instagram, TikTok): connecting, managing and keeping tokens alive.

Public use cases:
- `connect.start_connect`, `connect.complete_connect`: the OAuth connect flow (states in `oauth_states`)
- `connected.page_for`, `get`, `update`, `disconnect`, `mark_needs_reconnect`, `client_for`: an account
- `token_refresh.refresh_account`, `refresh_due_tokens`: long-lived and rotating tokens
"""
