"""API keys, roles and signed identity headers."""
