"""Returns use the admin tests' company (staff in every role) and the API's dealers."""

from tests.admin.conftest import co  # noqa: F401 - fixtures shared with tests/admin
