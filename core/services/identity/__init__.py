"""Who acts and what they may touch: users, auth, sessions, API tokens, access checks.

Public use cases:
- `auth.register`, `authenticate`, `issue_session`, `user_from_bearer`, `user_for_session`
- `users.get_me`, `update_me`, `change_password`, `delete_me`: a person's own account
- `api_tokens.create`, `page_for`, `get`, `revoke`: personal API tokens
- `access.require_role`, `require_active`, `get_scoped`: the one place rights are decided
- `actors.Actor`: who is acting, and through which door
"""
