"""Use cases: each takes ids, plain values and an `Actor`, checks rights, commits once."""
