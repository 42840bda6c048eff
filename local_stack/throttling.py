"""Route throttling as API Gateway applies it: a token bucket per route.

A bucket holds up to `burst_limit` requests and refills at `rate_limit` per second; a
request that finds it empty is answered 429 without reaching the function.
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html
"""

import threading
import time
from collections.abc import Callable

from local_stack.api_routes import Throttle


class TokenBucket:
    def __init__(self, throttle: Throttle, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate_limit = throttle.rate_limit
        self.capacity = float(throttle.burst_limit)
        self._clock = clock
        self._tokens = self.capacity
        self._refilled_at = clock()
        self._lock = threading.Lock()

    def try_take(self) -> bool:
        """Take one request's token; False when the bucket is empty."""
        with self._lock:
            now = self._clock()
            elapsed = now - self._refilled_at
            self._tokens = min(self.capacity, self._tokens + elapsed * self.rate_limit)
            self._refilled_at = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


class RouteThrottling:
    """One bucket per route key, made on the route's first request."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def allow(self, route_key: str, throttle: Throttle) -> bool:
        with self._lock:
            bucket = self._buckets.get(route_key)
            if bucket is None:
                bucket = self._buckets[route_key] = TokenBucket(throttle, self._clock)
        return bucket.try_take()
