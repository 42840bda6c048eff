"""Route throttling: a token bucket per route, as API Gateway keeps one."""

from local_stack.api_routes import Throttle
from local_stack.throttling import RouteThrottling


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_and_the_next_request_is_refused():
    throttling = RouteThrottling(FakeClock())
    throttle = Throttle(rate_limit=1, burst_limit=3)

    answers = [throttling.allow("GET /action", throttle) for _ in range(4)]

    assert answers == [True, True, True, False]


def test_the_bucket_refills_at_the_rate_limit():
    clock = FakeClock()
    throttling = RouteThrottling(clock)
    throttle = Throttle(rate_limit=2, burst_limit=1)
    assert throttling.allow("GET /action", throttle)
    assert not throttling.allow("GET /action", throttle)

    clock.now += 0.5

    assert throttling.allow("GET /action", throttle)
    assert not throttling.allow("GET /action", throttle)


def test_each_route_has_its_own_bucket():
    throttling = RouteThrottling(FakeClock())
    throttle = Throttle(rate_limit=1, burst_limit=1)

    assert throttling.allow("GET /action", throttle)
    assert throttling.allow("GET /webhooks", throttle)
    assert not throttling.allow("GET /action", throttle)
