"""Targets: the scored people of a workspace (scoring's service side; the formula lives in core/scoring).

Public use cases:
- `read.page`, `get`, `detail`, `interactions`, `dm_options`: reading targets
- `read.request_rescore`, `rescore.rescore_workspace`: rescoring a workspace
"""
