"""Schemathesis against the served OpenAPI document: no 5xx, answers match their schemas, and
data outside the schema is refused.

(Driven through Hypothesis directly: schemathesis' pytest plugin does not run on pytest 9.)
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
)

from devkit.factories import make_staff
from devkit.testing.clients import ADMIN, MP, staff_headers

FUZZ_SETTINGS = settings(
    max_examples=400,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def mp_schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app).include(path_regex=f"^{MP}/")


@pytest.fixture
def fuzz_headers(client, shop, dealer):
    # An order that exists, so detail paths also meet real rows.
    body = {"lines": [{"product_id": shop.tea.id, "qty": 10}]}
    assert client.post(f"{MP}/orders", json=body, headers=dealer).status_code == 201
    return dealer


def operations_survived(schema, headers: dict, mode) -> set[tuple[str, str]]:
    """Generated requests against every operation of `schema`: none answered with a 5xx, every
    answer matching its schema, data outside the schema refused. Returns the operations reached."""
    seen = set()

    @FUZZ_SETTINGS
    # The token is supplied to the generator, so negative cases never "break" it on purpose and
    # then get it restored: what they break is what the server must refuse.
    @given(case=schema.as_strategy(generation_mode=mode, headers=headers))
    def run(case):
        seen.add((case.method, case.operation.path))
        case.call_and_validate(
            checks=[not_a_server_error, response_schema_conformance, negative_data_rejection],
        )

    run()
    return seen


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_mini_program_api_survives_generated_requests(mp_schema, fuzz_headers, mode):
    seen = operations_survived(mp_schema, fuzz_headers, mode)
    assert len(seen) >= 15  # the generator reached (nearly) every operation


@pytest.fixture
def admin_schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app).include(path_regex=f"^{ADMIN}/")


@pytest.fixture
def admin_headers(app, shop, fuzz_headers):
    with app.app_context():
        return staff_headers(make_staff("admin", username="fuzz-admin"))


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_admin_api_survives_generated_requests(admin_schema, admin_headers, mode):
    assert len(operations_survived(admin_schema, admin_headers, mode)) >= 20
