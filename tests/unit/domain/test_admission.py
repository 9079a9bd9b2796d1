"""The edge's admission rule: the backlog of a partition in time, the longest on an order's path,
and the refusal with its Retry-After."""

from __future__ import annotations

import pytest

from domain.admission import PartitionLag, Path, SagaQueue, Sample, admit, ahead, worst


def lag_of(
    *samples: tuple[float, int, int], window: float = 10.0, keeping_up: float = 0.0
) -> float:
    lag = PartitionLag(window, keeping_up)
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


def test_a_stall_counts_from_when_the_oldest_record_waiting_was_there() -> None:
    # the 10 records left at 4 were there at 0: 7 s of waiting, though the pace (90 in 4 s)
    # would drain them in under one
    assert lag_of((0, 0, 100), (4, 90, 100), (7, 90, 100)) == pytest.approx(7.0)


def test_a_partition_that_keeps_up_reads_its_heads_age_whatever_the_rate() -> None:
    # 2 records a second, each commit (every 2.8 s) takes what came before it: the offset moved
    # 1 record in the 3 s since records last began to wait, 8 wait: at that "pace" 24 s, which
    # refused orders at 10 orders/s; the oldest of them came after 110.5: 3 s
    samples = [
        (102.5, 219, 219), (103.5, 219, 224), (104.5, 219, 225), (105.5, 225, 226),
        (106.5, 225, 227), (107.5, 225, 230), (108.5, 230, 230), (109.5, 230, 230),
        (110.5, 230, 231), (111.5, 231, 235), (112.5, 231, 237), (113.5, 231, 239),
    ]  # fmt: skip
    assert lag_of(*samples, keeping_up=4.8) == pytest.approx(3.0)
    assert lag_of(*samples) == pytest.approx(24.0)  # the pace alone


def test_a_head_older_than_a_partition_that_keeps_up_reads_the_workers_pace() -> None:
    # records waiting since 0, 10 handled a second since, 300 waiting: 30 s ahead, not 6
    samples = [(0, 0, 100), (2, 20, 200), (4, 40, 300), (6, 60, 360)]
    assert lag_of(*samples, keeping_up=4.8) == pytest.approx(30.0)


def test_a_head_older_than_the_history_counts_from_the_oldest_change_kept() -> None:
    lag = PartitionLag(10.0, history=3)
    for at in range(10):  # one record a second, none handled
        lag.add(Sample(at=at, committed=0, end=at + 1))
    assert lag.seconds() == pytest.approx(9 - 6)  # the three kept: since 6, 7 and 8


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


def test_records_that_came_during_a_gap_in_the_samples_are_not_dated_before_one_interval() -> None:
    # the broker did not answer for 11 s: what came meanwhile came in the last interval, as far
    # as a partition that keeps up is concerned (not 11 s of waiting: orders would be refused)
    samples = [(0, 100, 100), (1, 100, 100), (12, 195, 200), (13, 195, 210), (14, 195, 220)]
    assert lag_of(*samples, keeping_up=5.8) == pytest.approx(3.0)  # since 11 (12 - 1)


def test_slow_commits_at_a_low_rate_read_as_the_heads_age() -> None:
    # one record a second, a commit every 4.5 s (a slow flush): never a pace over a few commits
    samples, committed = [], 0
    for at in range(60):
        if at % 9 in (0, 4):  # commits at 0, 4, 9, 13 … (4.5 s apart on average)
            committed = at
        samples.append((float(at), committed, at + 1))
    assert max(lag_of(*samples[: n + 1], keeping_up=5.8) for n in range(60)) <= 5.8


def queue(*ends: tuple[float, float], target: float = 1.0, span: float = 2.0) -> SagaQueue:
    sagas = SagaQueue(target=target, span=span)
    for at, lasted in ends:
        sagas.ended(at, lasted)
    return sagas


def test_sagas_ending_slower_than_the_target_stand_in_a_queue_read_at_their_pace() -> None:
    # a flood: 30 sagas ended in the last 2 s, each after 3 s or more; 900 in flight: 60 s
    slow = queue(*((100 + i / 15, 3.0 + i / 10) for i in range(30)))
    assert slow.seconds(900, now=102.0) == pytest.approx(900 * 2 / 30)


def test_one_saga_ending_quickly_says_the_queue_is_not_standing() -> None:
    # a burst after a quiet hour: its first saga ended in 0.3 s; the 99 others are in flight
    burst = queue((100.0, 0.3))
    assert burst.seconds(99, now=100.5) == 0.0
    # a saga waiting for a down gateway's deadline does not make the quick ones slow
    mixed = queue((100.0, 30.0), (100.4, 0.2), (101.0, 0.25))
    assert mixed.seconds(20, now=101.5) == 0.0


def test_nothing_ended_lately_is_no_reading() -> None:
    # nothing to take a pace from (a stall shows in the group's lag, by the head's age)
    assert queue((90.0, 5.0)).seconds(50, now=100.0) == 0.0
    assert queue().seconds(50, now=100.0) == 0.0


def test_under_a_steady_load_the_reading_is_the_sagas_mean_duration() -> None:
    # 10 sagas end a second, each after 2 s (a slow gateway): 20 in flight (Little's law)
    steady = queue(*((100 + i / 10, 2.0) for i in range(20)))
    assert steady.seconds(20, now=101.95) == pytest.approx(2.0)


def test_ends_older_than_the_span_no_longer_count() -> None:
    # slow ends long ago, a quick one now: no queue; the quick one gone, slow ones now: a queue
    sagas = queue((95.0, 4.0), (101.0, 0.5))
    assert sagas.seconds(10, now=101.5) == 0.0
    sagas.ended(104.0, 4.0)
    assert sagas.seconds(10, now=104.5) == pytest.approx(10 * 2 / 1)
