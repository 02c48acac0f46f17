"""People's data: erasure on request, raw payload retention, who may be contacted.

Public use cases:
- `erasure.erase_person`, `erasure_summary`, `purge_raw_payloads`
- `contact_policy.is_blocked`, `block`: opt-outs and the do-not-contact list
"""
