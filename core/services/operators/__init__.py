"""Operators (platform administrators): the whole platform's directory and actions, key rotation.

Public use cases:
- `admin.promote`, `suspend_user`, `reactivate_user`, `suspend_workspace`, `reactivate_workspace`
- `directory.workspaces_page`, `users_page`, `workspace_detail`, `user_detail`
- `key_rotation.rotate_secrets`
"""
