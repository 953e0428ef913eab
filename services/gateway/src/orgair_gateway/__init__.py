"""The gateway: the platform's single public entry (API keys, roles, rate limits, proxy)."""
