"""Empty on purpose: a server started by the tests or a benchmark takes its settings from flags,
not from the gunicorn.conf.py beside the app."""
