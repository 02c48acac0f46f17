"""The worker door: RQ workers and the periodic scheduler."""
