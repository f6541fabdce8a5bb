"""Schemathesis against every operation of the admin API, as an admin with scope `all`: a bounded
number of generated requests per operation (so each one is reached, not only the first few), and
none may answer 5xx. Failures are collected over all operations and reported together.

(Driven through Hypothesis directly: schemathesis' pytest plugin does not run on pytest 9.)
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from devkit.factories import make_staff, place

# CI's bound; FUZZ_EXAMPLES=200 FUZZ_RANDOM=1 for a longer, differently seeded hunt by hand.
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "15"))
DERANDOMIZE = os.environ.get("FUZZ_RANDOM") != "1"


@pytest.fixture
def admin_operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app).include(
        path_regex="^/api/admin/v1/"
    )
    return [result.ok() for result in schema.get_all_operations()]


@pytest.fixture
def admin_headers(app, co):
    from app.auth.services import staff_token

    place(co.east_customer, (co.tea, 2))  # detail paths meet real rows too
    admin = make_staff("admin", username="fuzz-admin")
    return {"Authorization": f"Bearer {staff_token(admin)}"}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_makes_the_admin_api_answer_5xx(admin_operations, admin_headers, mode):
    failures: dict[str, str] = {}
    for operation in admin_operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=DERANDOMIZE,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode, headers=admin_headers))
        def run(case):
            case.call_and_validate(checks=[not_a_server_error])

        try:
            run()
        except Unsatisfiable:  # nothing to break: an operation without parameters or body
            continue
        except (Exception, BaseExceptionGroup) as exc:  # collected, reported below
            failures[operation.label] = str(exc).splitlines()[0][:300]
    assert not failures, "\n".join(f"{label}: {why}" for label, why in failures.items())
    assert len(admin_operations) >= 55
