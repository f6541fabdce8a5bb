"""Reports use the admin tests' company."""

from tests.admin.conftest import co  # noqa: F401 - fixtures shared with tests/admin
