"""Integration clients (signed webhooks, Google Sheets, Notion) and the outbox delivery machinery."""
