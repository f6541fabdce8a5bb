"""Admin console (server-rendered pages) and admin JSON API (/api/admin/v1)."""
