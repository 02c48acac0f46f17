"""The JSON API: one blueprint per resource, all declared through `spec.operation`."""

from console.api import admin, auth, jobs, users, workspaces
from console.api import social_accounts

BLUEPRINTS = [auth.bp, workspaces.bp, jobs.bp, users.bp, admin.bp]
BLUEPRINTS += [social_accounts.bp]
from console.api import integrations  # noqa: E402

BLUEPRINTS += [integrations.bp]
from console.api import leads  # noqa: E402

BLUEPRINTS += [leads.bp]
from console.api import dm, dm_sequences, dm_templates  # noqa: E402

BLUEPRINTS += [dm.bp, dm_templates.bp, dm_sequences.bp]
from console.api import targets  # noqa: E402

BLUEPRINTS += [targets.bp]
from console.api import privacy  # noqa: E402

BLUEPRINTS += [privacy.bp]
