"""The JSON API: one blueprint per resource, all declared through `spec.operation`."""

from console.api import admin, auth, jobs, users, workspaces
from console.api import social_accounts

BLUEPRINTS = [auth.bp, workspaces.bp, jobs.bp, users.bp, admin.bp]
BLUEPRINTS += [social_accounts.bp]
