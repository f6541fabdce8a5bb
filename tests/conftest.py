"""The tests' fixtures and helpers live in devkit/testing/ (docs/testing.md says which module
holds what). pytest loads the plugins once, here: it honours pytest_plugins only in the root
conftest."""

import pytest

# Their asserts report as the tests' own do, helpers imported by tests included.
pytest.register_assert_rewrite("devkit.testing")

pytest_plugins = [
    "devkit.testing.database",
    "devkit.testing.stack",
    "devkit.testing.clients",
    "devkit.testing.world",
    "devkit.testing.browser",
    "devkit.testing.shops",
    "devkit.testing.payments",
]
