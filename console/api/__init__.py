"""The JSON API: one blueprint per resource, all declared through `spec.operation`."""

from console.api import auth, jobs, workspaces

BLUEPRINTS = [auth.bp, workspaces.bp, jobs.bp]
