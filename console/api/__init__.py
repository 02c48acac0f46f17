"""The JSON API: one blueprint per resource, all declared through `spec.operation`."""

from console.api import admin, auth, jobs, users, workspaces

BLUEPRINTS = [auth.bp, workspaces.bp, jobs.bp, users.bp, admin.bp]
