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


def test_the_window_slides_per_event() -> None:
    clock = Clock()
    limiter = RateLimiter(2, window=10, clock=clock)
    assert limiter.allow("ann")
    clock.now = 5.0
    assert limiter.allow("ann")
    clock.now = 9.99
    assert not limiter.allow("ann")  # refused events are not counted
    clock.now = 10.0
    assert limiter.allow("ann")  # the first left the window
    assert not limiter.allow("ann")
    clock.now = 15.0
    assert limiter.allow("ann")


def test_defaults() -> None:
    limiter = RateLimiter(1)
    assert (limiter.limit, limiter.window) == (1, 10.0)
    assert limiter.allow("ann") and not limiter.allow("ann")


def test_negative_means_no_limit() -> None:
    assert all(RateLimiter(-1).allow("ann") for _ in range(5))


def test_idle_keys_are_forgotten_once_there_are_many() -> None:
    clock = Clock()
    limiter = RateLimiter(1, window=10, clock=clock)
    for n in range(10_001):
        assert limiter.allow(f"user{n}")
    assert len(limiter._events) == 10_001
    clock.now = 10.0
    assert limiter.allow("late")  # 10_002 keys: the idle ones go
    assert list(limiter._events) == ["late"]
    clock.now = 15.0
    for n in range(10_000):
        limiter.allow(f"other{n}")
    assert not limiter.allow("late")  # still in its window: kept and counted
    assert len(limiter._events) == 10_001


def test_forgetting_starts_just_over_10_000_keys() -> None:
    clock = Clock()
    limiter = RateLimiter(1, window=10, clock=clock)
    for n in range(9_999):
        limiter.allow(f"user{n}")
    clock.now = 10.0  # all of them idle from now on
    limiter.allow("key 10000")
    assert len(limiter._events) == 10_000  # not more than 10_000: nothing forgotten
    limiter.allow("key 10001")
    assert sorted(limiter._events) == ["key 10000", "key 10001"]
