"""Staff use cases shared by every staff surface (admin API, console, staff pages on the phone).

Each takes the acting staff member and plain values, checks the permission and data scope inside,
and returns what it changed, read once through the shared read models.
"""
