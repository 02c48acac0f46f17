"""Search: one box finding a workspace's people, leads and what people wrote."""
