"""Staff accounts, roles and data scopes; dealer tokens."""
