from app.chat.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_limit_per_key_in_window() -> None:
    clock = Clock()
    limiter = RateLimiter(2, window=10, clock=clock)
    assert limiter.allow("ann") and limiter.allow("ann")
    assert not limiter.allow("ann")
    assert limiter.allow("bob")
    clock.now = 10.0
    assert limiter.allow("ann")


def test_zero_means_no_limit() -> None:
    limiter = RateLimiter(0)
    assert all(limiter.allow("ann") for _ in range(1000))
