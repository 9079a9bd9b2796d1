"""The edge's admission rule: the backlog of a partition in time, the longest on an order's path,
and the refusal with its Retry-After."""

from __future__ import annotations

import pytest

from domain.admission import PartitionLag, Path, Sample, admit, ahead, worst


def lag_of(*samples: tuple[float, int, int], window: float = 10.0) -> float:
    lag = PartitionLag(window)
    for at, committed, end in samples:
        lag.add(Sample(at=at, committed=committed, end=end))
    return lag.seconds()


def test_no_records_waiting_is_no_backlog() -> None:
    assert lag_of((0, 100, 100), (1, 150, 150)) == 0.0
    assert lag_of() == 0.0


def test_records_waiting_take_the_time_the_current_pace_needs() -> None:
    # 100 records handled in 10 s: 10 per second; 300 waiting take 30 s
    assert lag_of((0, 0, 50), (5, 50, 200), (10, 100, 400)) == pytest.approx(30.0)


def test_the_pace_is_taken_over_the_window_only() -> None:
    # fast long ago (1000 in the first second), slow within the last 4 s: 10 per second
    samples = [(0, 0, 1000), (1, 1000, 1100), (3, 1020, 1200), (5, 1040, 1240)]
    assert lag_of(*samples, window=4) == pytest.approx(200 / 10)


def test_a_partition_standing_still_with_records_waiting_grows_with_the_clock() -> None:
    assert lag_of((0, 10, 12), (1, 10, 15), (7, 10, 40)) == pytest.approx(7.0)


def test_a_stall_counts_from_the_last_move_of_the_committed_offset() -> None:
    # moved at 4, still since: 3 s of standing still; its pace (90 in 4 s) drains 10 in < 1 s
    assert lag_of((0, 0, 100), (4, 90, 100), (7, 90, 100)) == pytest.approx(3.0)


def test_catching_up_restarts_the_stall_clock() -> None:
    # caught up at 5 (nothing waiting), one record since, not yet committed at 6
    assert lag_of((0, 10, 10), (5, 10, 10), (6, 10, 11)) == pytest.approx(1.0)


def test_a_slow_pace_outweighs_a_short_stall() -> None:
    # 10 records in 9 s, then still for 1 s with 100 waiting: 90 s at that pace
    assert lag_of((0, 0, 20), (9, 10, 50), (10, 10, 110)) == pytest.approx(100 * 10 / 10)


PATH = Path(
    commands=("orders.commands", 0),
    events=("orders.events", 1),
    inventory=(("inventory.commands", 0), ("inventory.commands", 2)),
    payments=("payments.commands", 1),
)


def test_the_backlog_ahead_of_an_order_is_the_longest_on_its_path() -> None:
    backlog = {
        ("orders.commands", 0): 2.0,
        ("orders.commands", 1): 99.0,  # another customer's partition
        ("orders.events", 1): 3.0,
        ("inventory.commands", 2): 8.0,
        ("payments.commands", 1): 1.0,
    }
    assert ahead(backlog, PATH) == 8.0
    assert ahead({}, PATH) == 0.0


def test_an_order_within_the_budget_is_taken() -> None:
    assert admit(15.0, 15.0) is None
    assert admit(3.0, 15.0) is None


def test_an_order_over_the_budget_is_refused_with_when_to_retry() -> None:
    refusal = admit(22.5, 15.0)
    assert refusal is not None
    assert refusal.retry_after == 8  # the excess, rounded up
    assert "22.5 s" in refusal.detail() and "15 s" in refusal.detail()


def test_retry_after_is_at_least_one_second_and_bounded() -> None:
    near = admit(15.1, 15.0)
    far = admit(1e6, 15.0, longest_retry=30)
    assert near is not None and near.retry_after == 1
    assert far is not None and far.retry_after == 30


def test_a_budget_of_zero_takes_every_order() -> None:
    assert admit(1e9, 0.0) is None


def test_worst_names_the_longest_backlog_of_each_topic() -> None:
    backlog = {("orders.events", 0): 1.0, ("orders.events", 2): 4.0, ("other", 0): 9.0}
    assert worst(backlog, ["orders.events", "payments.commands"]) == {
        "orders.events": 4.0,
        "payments.commands": 0.0,
    }


def test_a_burst_on_a_partition_idle_part_of_the_window_is_not_read_at_the_arrival_pace() -> None:
    # 1 record every 2 s, committed at once (nothing waiting at 0, 2 …), then 40 at once: the
    # offset moved at the pace records came (0.5/s), not the workers'; 80 s would be wrong
    samples = [(0, 0, 0), (2, 1, 1), (4, 2, 2), (6, 3, 3), (7, 3, 43)]
    assert lag_of(*samples) == pytest.approx(1.0)  # standing still for 1 s, with records waiting


def test_an_overload_is_read_at_the_workers_pace_from_when_records_began_to_wait() -> None:
    # idle until 10, then records pile up: 30 handled in the 3 s since, 360 waiting: 36 s
    samples = [(0, 0, 0), (5, 10, 10), (10, 10, 100), (11, 10, 200), (13, 40, 400)]
    assert lag_of(*samples) == pytest.approx(360 / 10)
