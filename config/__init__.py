"""Settings, read from the environment (see `.env.example`)."""

from config.settings import get_config

__all__ = ["get_config"]
