"""The outage tests use the API's shop and the admin API's company."""

from tests.admin.conftest import co  # noqa: F401 - fixtures shared with tests/admin
from tests.api.conftest import shop  # noqa: F401 - shared with tests/api
