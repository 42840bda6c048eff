"""Schemathesis against GET /openapi.json: generated requests, documented answers only.

It runs on a local stack of its own, because the webhooks it registers would otherwise
receive the other tests' fan-outs. Against a deployed stack it is skipped: it would leave
hundreds of made-up webhooks behind.
"""

import secrets
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance, unsupported_method

from local_stack.openapi import DOCUMENT_PATH
from tests.e2e.conftest import LOCAL_PARAMETERS, Service
from tests.support.local_stack_process import LocalStackProcess


@pytest.fixture(scope="module")
def fuzzed_service(service: Service, tmp_path_factory) -> Iterator[Service]:
    if not service.runs_locally:
        pytest.skip("fuzzing a deployed stack would leave made-up webhooks behind")
    token = secrets.token_urlsafe(24)
    stack = LocalStackProcess(
        ["--parameter-overrides", *LOCAL_PARAMETERS, "ActionThrottleBurstLimit=1000"],
        tmp_path_factory.mktemp("fuzz"),
        {"ADMIN_TOKEN": token},
    )
    stack.start(timeout_seconds=300)
    yield Service(stack.url, token, runs_locally=True)
    stack.stop()


def operations() -> list:
    document = schemathesis.openapi.from_path(DOCUMENT_PATH)
    return [result.ok() for result in document.get_all_operations()]


# Schemathesis's own pytest plugin does not run under this pytest, so each operation's
# strategy is drawn from with Hypothesis directly.
@pytest.mark.parametrize(
    "operation", operations(), ids=lambda op: f"{op.method.upper()} {op.path}"
)
def test_every_route_answers_as_documented_and_never_with_a_5xx(operation, fuzzed_service):
    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=operation.as_strategy())
    def call(case) -> None:
        case.call_and_validate(
            base_url=fuzzed_service.base_url,
            headers={"Authorization": f"Bearer {fuzzed_service.admin_token}"},
            timeout=30,
            # A schema cannot say that a URL must not point at a private address or that
            # an id must be unused, so valid-looking data may rightly be refused. API
            # Gateway answers 404, not 405, for a method no route has.
            excluded_checks=[positive_data_acceptance, unsupported_method],
        )

    call()
