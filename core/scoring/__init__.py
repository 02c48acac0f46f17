"""Interest scoring: the settings, the reference formula, the set-based SQL rescore and its reasons."""
