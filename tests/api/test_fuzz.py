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

from tests.api.conftest import MP

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


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_mini_program_api_survives_generated_requests(mp_schema, fuzz_headers, mode):
    seen = set()

    @FUZZ_SETTINGS
    # The token is supplied to the generator, so negative cases never "break" it on purpose and
    # then get it restored: what they break is what the server must refuse.
    @given(case=mp_schema.as_strategy(generation_mode=mode, headers=fuzz_headers))
    def run(case):
        seen.add((case.method, case.operation.path))
        case.call_and_validate(
            checks=[not_a_server_error, response_schema_conformance, negative_data_rejection],
        )

    run()
    assert len(seen) >= 15  # the generator reached (nearly) every operation


@pytest.fixture
def admin_schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app).include(
        path_regex="^/api/admin/v1/"
    )


@pytest.fixture
def admin_headers(app, shop, fuzz_headers):
    from app.auth.services import staff_token
    from devkit.factories import make_staff

    with app.app_context():
        admin = make_staff("admin", username="fuzz-admin")
        return {"Authorization": f"Bearer {staff_token(admin)}"}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_admin_api_survives_generated_requests(admin_schema, admin_headers, mode):
    seen = set()

    @FUZZ_SETTINGS
    @given(case=admin_schema.as_strategy(generation_mode=mode, headers=admin_headers))
    def run(case):
        seen.add((case.method, case.operation.path))
        case.call_and_validate(
            checks=[not_a_server_error, response_schema_conformance, negative_data_rejection],
        )

    run()
    assert len(seen) >= 20
