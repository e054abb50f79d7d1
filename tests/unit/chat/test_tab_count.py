from app.chat.tab_count import TabCount


def test_tabs_per_address() -> None:
    tabs = TabCount(per_address=2, total=0)
    assert tabs.admit("1.2.3.4") is None
    assert tabs.admit("1.2.3.4") is None
    assert tabs.admit("1.2.3.4") == "address"
    assert tabs.admit("5.6.7.8") is None
    assert (tabs.open_tabs("1.2.3.4"), tabs.open_tabs("5.6.7.8"), tabs.open_tabs()) == (2, 1, 3)
    tabs.leave("1.2.3.4")
    assert tabs.open_tabs("1.2.3.4") == 1 and tabs.open_tabs() == 2
    assert tabs.admit("1.2.3.4") is None


def test_tabs_in_total() -> None:
    tabs = TabCount(per_address=0, total=3)
    assert [tabs.admit(f"10.0.0.{i}") for i in range(3)] == [None, None, None]
    assert tabs.admit("10.0.0.9") == "total"
    assert tabs.open_tabs() == 3 and tabs.open_tabs("10.0.0.9") == 0
    tabs.leave("10.0.0.1")
    assert tabs.admit("10.0.0.9") is None


def test_the_total_is_reported_before_the_address() -> None:
    tabs = TabCount(per_address=1, total=1)
    assert tabs.admit("a") is None
    assert tabs.admit("a") == "total"


def test_zero_means_no_limit() -> None:
    tabs = TabCount(per_address=0, total=0)
    assert all(tabs.admit("a") is None for _ in range(1000))
    assert tabs.open_tabs("a") == tabs.open_tabs() == 1000


def test_leaving_more_than_joined_changes_nothing() -> None:
    tabs = TabCount(per_address=1, total=5)
    tabs.leave("a")
    assert tabs.open_tabs() == 0
    assert tabs.admit("a") is None
    tabs.leave("a")
    tabs.leave("a")
    assert tabs.open_tabs() == 0 and tabs.open_tabs("a") == 0
    assert tabs.admit("b") is None and tabs.admit("a") is None
    assert tabs.open_tabs() == 2


def test_an_address_with_no_tabs_left_is_forgotten() -> None:
    tabs = TabCount(per_address=3, total=0)
    tabs.admit("a")
    tabs.admit("a")
    tabs.leave("a")
    tabs.leave("a")
    assert tabs._open == {}
