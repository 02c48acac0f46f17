"""Collecting who engaged: incremental walks of an account, Meta webhooks, idempotent storage.

Public use cases:
- `cycle.request_collection`, `collect_account`, `collect_and_rescore`, `due_accounts`, `overview`
- `meta_webhooks.answer_challenge`, `verify_signature`, `receive`, `process`: Instagram webhooks
- `interactions.page_for`: reading a workspace's interactions
- `ingest.store` (with `ingest_pg`), `walk`, `lock`: the machinery the cycle uses
"""
