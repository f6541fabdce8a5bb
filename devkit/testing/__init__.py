"""What the tests share: pytest plugins (fixtures) and the helpers tests import.

tests/conftest.py lists the plugins once in `pytest_plugins`; every test requests their fixtures
by name. Tests import plain helpers from here (`from devkit.testing.clients import MP`), never
from tests/. docs/testing.md says which module holds what.
"""
