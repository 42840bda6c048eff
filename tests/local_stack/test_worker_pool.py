"""Functions run in worker processes as Lambda runs them in sandboxes."""

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_stack.functions import FunctionSpec
from local_stack.worker_pool import FunctionInitError, WorkerPool, worker_environment

FIXTURES = Path(__file__).parent / "fixtures"


def make_spec(handler: str, timeout_seconds: int = 3, code: str = "functions") -> FunctionSpec:
    return FunctionSpec(
        logical_id=f"Fixture{handler.split('.')[-1].title().replace('_', '')}Function",
        code_path=FIXTURES / code,
        handler=handler,
        timeout_seconds=timeout_seconds,
        memory_mb=128,
        environment={"GREETING": "hi"},
        layer_paths=(),
        reserved_concurrency=None,
    )


@pytest.fixture
def pools() -> Iterator[list[WorkerPool]]:
    made: list[WorkerPool] = []
    yield made
    for pool in made:
        pool.close()


def make_pool(pools: list[WorkerPool], spec: FunctionSpec, max_workers: int = 2) -> WorkerPool:
    pool = WorkerPool(
        spec, worker_environment(spec, {"AWS_ENDPOINT_URL": "http://x"}), max_workers
    )
    pools.append(pool)
    return pool


def test_a_warm_worker_keeps_its_imported_module_across_invocations(pools):
    pool = make_pool(pools, make_spec("app.warm_state"), max_workers=1)

    first, second = pool.invoke({}), pool.invoke({})

    assert first.init_ms is not None
    assert second.init_ms is None
    assert first.payload["pid"] == second.payload["pid"] != os.getpid()
    assert first.payload["importedAt"] == second.payload["importedAt"]
    assert second.payload["invocations"] == 2


def test_a_worker_sees_exactly_the_functions_environment(pools, monkeypatch):
    monkeypatch.setenv("A_VARIABLE_OF_THE_DEVELOPERS_SHELL", "secret")
    pool = make_pool(pools, make_spec("app.environment"))

    environment = pool.invoke({}).payload

    assert "A_VARIABLE_OF_THE_DEVELOPERS_SHELL" not in environment
    assert environment["GREETING"] == "hi"
    assert environment["AWS_ENDPOINT_URL"] == "http://x"
    assert environment["AWS_LAMBDA_FUNCTION_NAME"] == "FixtureEnvironmentFunction"
    assert environment["POWERTOOLS_TRACE_DISABLED"] == "true"
    assert environment["LAMBDA_TASK_ROOT"] == str(FIXTURES / "functions")


def test_a_handler_exception_is_returned_as_lambda_returns_it(pools):
    pool = make_pool(pools, make_spec("app.fail"))

    invocation = pool.invoke({})

    assert not invocation.succeeded
    assert invocation.payload["errorType"] == "ValueError"
    assert invocation.payload["errorMessage"] == "the fixture failed on purpose"
    assert invocation.payload["stackTrace"]
    assert pool.invoke({}).error_type == "ValueError"  # the worker survived


def test_a_response_that_is_not_json_is_a_marshal_error(pools):
    invocation = make_pool(pools, make_spec("app.unserialisable")).invoke({})

    assert invocation.error_type == "Runtime.MarshalError"


def test_a_timed_out_invocation_fails_and_its_worker_is_replaced(pools):
    pool = make_pool(pools, make_spec("app.sleep", timeout_seconds=1), max_workers=1)

    timed_out = pool.invoke({"seconds": 30})
    after = pool.invoke({"seconds": 0})

    assert timed_out.error_type == "Sandbox.Timedout"
    assert "timed out after 1.00 seconds" in timed_out.payload["errorMessage"]
    assert timed_out.duration_ms < 10_000
    assert after.succeeded
    assert after.init_ms is not None


def test_a_crashed_worker_fails_its_invocation_and_is_replaced(pools):
    crashing = make_pool(pools, make_spec("app.crash"), max_workers=1)

    invocation = crashing.invoke({})

    assert invocation.error_type == "Runtime.ExitError"
    assert "exit status 3" in invocation.payload["errorMessage"]
    assert crashing.size == 0
    assert crashing.invoke({}).error_type == "Runtime.ExitError"  # a fresh worker, same fate


def test_what_a_handler_prints_cannot_corrupt_the_protocol(pools, capfd):
    invocation = make_pool(pools, make_spec("app.noisy")).invoke({})

    assert invocation.payload == {"ok": True}
    assert "an error line" in capfd.readouterr().err


def test_a_handler_that_cannot_be_imported_names_the_function(pools):
    pool = make_pool(pools, make_spec("app.handler", code="broken"))

    with pytest.raises(FunctionInitError, match=r"FixtureHandlerFunction.*a_module_that_does_not"):
        pool.warm()
    assert pool.invoke({}).error_type == "Runtime.ImportModuleError"


def test_a_missing_handler_function_is_reported_as_lambda_reports_it(pools):
    pool = make_pool(pools, make_spec("app.no_such_handler"))

    assert pool.invoke({}).error_type == "Runtime.HandlerNotFound"


def test_a_pool_runs_at_most_its_limit_of_invocations_at_once(pools):
    pool = make_pool(pools, make_spec("app.sleep"), max_workers=2)
    results = []

    threads = [
        threading.Thread(target=lambda: results.append(pool.invoke({"seconds": 0.5})))
        for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(results) == 5
    assert all(result.succeeded for result in results)
    assert pool.size == 2


def test_reserved_concurrency_zero_throttles_every_invocation(pools):
    pool = make_pool(pools, make_spec("app.echo"), max_workers=0)

    assert pool.invoke({}).error_type == "TooManyRequestsException"


def test_closing_a_pool_fails_the_invocation_in_flight(pools):
    pool = make_pool(pools, make_spec("app.sleep", timeout_seconds=30), max_workers=1)
    pool.warm()
    results = []
    thread = threading.Thread(target=lambda: results.append(pool.invoke({"seconds": 20})))
    thread.start()
    while not pool.busy:
        threading.Event().wait(0.05)

    pool.close()
    thread.join(10)

    assert results
    assert results[0].error_type == "Runtime.ExitError"
    assert pool.invoke({}).error_type == "LocalStack.Stopped"
