"""Job functions: thin wrappers that call one core service each."""
