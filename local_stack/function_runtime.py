"""All of a stack's functions, each with its pool of workers and concurrency limit."""

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from local_stack.errors import StartupError
from local_stack.functions import FunctionSpec
from local_stack.sqs_event_source import SqsEventSourceMapping
from local_stack.worker_pool import FunctionInitError, Invocation, WorkerPool, worker_environment

# Workers of a function without reserved concurrency. Lambda would run a thousand; a
# laptop has a few cores.
# Limitation: an invocation beyond a function's limit waits for a free worker, where
# Lambda would throttle it (TooManyRequestsException); only reserved concurrency 0 throttles.
DEFAULT_FUNCTION_CONCURRENCY = 4
# Lambda starts an SQS event source without MaximumConcurrency with five pollers.
DEFAULT_SQS_CONCURRENCY = 5


def sqs_concurrency(mapping: SqsEventSourceMapping, spec: FunctionSpec) -> int:
    """Invocations an event source mapping keeps in flight at most."""
    limits = [mapping.maximum_concurrency or DEFAULT_SQS_CONCURRENCY]
    if spec.reserved_concurrency is not None:
        limits.append(spec.reserved_concurrency)
    return max(1, min(limits))


def concurrency_limits(
    specs: dict[str, FunctionSpec], mappings: Iterable[SqsEventSourceMapping]
) -> dict[str, int]:
    """Workers each function may run at once: its reserved concurrency, else enough for
    its event sources and at least DEFAULT_FUNCTION_CONCURRENCY."""
    needed = dict.fromkeys(specs, DEFAULT_FUNCTION_CONCURRENCY)
    for mapping in mappings:
        spec = specs[mapping.function_logical_id]
        needed[spec.logical_id] = max(needed[spec.logical_id], sqs_concurrency(mapping, spec))
    return {
        logical_id: needed[logical_id]
        if spec.reserved_concurrency is None
        else spec.reserved_concurrency
        for logical_id, spec in specs.items()
    }


class FunctionRuntime:
    def __init__(
        self,
        specs: dict[str, FunctionSpec],
        endpoint_variables: dict[str, str],
        limits: dict[str, int],
    ) -> None:
        self.pools = {
            logical_id: WorkerPool(
                spec, worker_environment(spec, endpoint_variables), limits[logical_id]
            )
            for logical_id, spec in specs.items()
        }

    def warm_all(self) -> None:
        """Start one worker per function, all at once; a handler that cannot load stops it."""
        pools = [pool for pool in self.pools.values() if pool.max_workers > 0]
        with ThreadPoolExecutor(max_workers=max(1, len(pools))) as executor:
            failures = [error for error in executor.map(_warm, pools) if error is not None]
        if failures:
            raise StartupError(f"function {failures[0]}")

    def invoke(self, logical_id: str, event: Any) -> Invocation:
        return self.pools[logical_id].invoke(event)

    def close(self) -> None:
        for pool in self.pools.values():
            pool.close()


def _warm(pool: WorkerPool) -> FunctionInitError | None:
    try:
        pool.warm()
    except FunctionInitError as error:
        return error
    return None
