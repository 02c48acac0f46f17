"""The JSON API: one blueprint per resource, all declared through `spec.operation`."""

from console.api import (
    admin,
    auth,
    conversations,
    dm,
    dm_sequences,
    dm_templates,
    integrations,
    interactions,
    invitations,
    jobs,
    leads,
    privacy,
    search,
    social_accounts,
    targets,
    users,
    webhooks,
    workspaces,
)

# One literal list: a resource module that is not listed here is not served.
BLUEPRINTS = [
    auth.bp,
    users.bp,
    workspaces.bp,
    invitations.bp,
    jobs.bp,
    admin.bp,
    social_accounts.bp,
    interactions.bp,
    webhooks.bp,
    targets.bp,
    dm.bp,
    conversations.bp,
    dm_templates.bp,
    dm_sequences.bp,
    leads.bp,
    integrations.bp,
    privacy.bp,
    search.bp,
]
