"""Real parts for tests and benchmarks: throwaway databases, the app under gunicorn, the WeChat
sandbox on a thread, and factory functions that build rows through the services."""
