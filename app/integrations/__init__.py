"""The integration surface for ERPs and other systems: webhooks out, API keys in."""
