"""``bench.hops``: an order's hops from the records' timestamps, and their percentiles."""

from __future__ import annotations

from bench.hops import DECIDED_IN, HOPS, STEPS, after_the_write, per_hop, summary


def test_each_hop_is_the_time_between_one_step_and_the_next() -> None:
    # Given an order posted at t=100.000 whose steps came 5 ms apart, seen 3 ms after the last
    at = {kind: 100.010 + 0.005 * n for n, (_, kind) in enumerate(STEPS)}
    seen = {"o-1": at, "o-2": {"PlaceOrder": 100.5}}  # o-2 never passed the other steps
    marks = {"o-1": (100.000, at["OrderConfirmed"] + 0.003), "o-2": (100.4, 101.0)}
    hops = per_hop(marks, seen)
    # Then every hop is measured once, o-2 left out, and they add up to the whole
    assert [len(h) for h in hops] == [1] * len(HOPS)
    ms = [round(h[0] * 1000, 3) for h in hops]
    assert ms == [10.0, *[5.0] * (len(STEPS) - 1), 3.0]
    assert round(sum(h[0] for h in hops), 6) == round(marks["o-1"][1] - 100.000, 6)


def test_percentiles_per_hop_and_none_without_orders() -> None:
    hops = [[n / 1000 for n in range(1, 101)]] + [[] for _ in HOPS[1:]]
    rows = summary(hops)
    assert rows[0] == {
        "hop": HOPS[0], "orders": 100, "p50Ms": 51.0, "p99Ms": 100.0, "afterWriteP50Ms": None
    }  # fmt: skip
    assert rows[1] == {
        "hop": HOPS[1], "orders": 0, "p50Ms": None, "p99Ms": None, "afterWriteP50Ms": None
    }  # fmt: skip


def test_the_part_of_a_hop_after_its_deciding_write_is_measured_from_the_last_write_in_it() -> None:
    # Given an order whose steps came 10 ms apart, each hop's table written 4 and 6 ms into it
    # (the saga once per item: the last write decides), and once before it (an older state)
    at = {kind: 100.010 + 0.010 * n for n, (_, kind) in enumerate(STEPS)}
    marks = {"o-1": (100.000, at["OrderConfirmed"] + 0.003)}
    flushes: dict[str, dict[str, list[float]]] = {}
    for n, table in enumerate(DECIDED_IN):
        if table is not None:
            start = [100.000, *at.values()][n]
            flushes.setdefault(table, {}).setdefault("o-1", []).extend(
                [start + 0.004, start + 0.006]
            )
    flushes["sagas"]["o-1"].append(99.0)
    after = after_the_write(marks, {"o-1": at}, flushes)
    # Then every deciding hop is 4 ms after its last write in it; the others have no part
    for n, table in enumerate(DECIDED_IN):
        assert [round(t * 1000, 3) for t in after[n]] == ([4.0] if table else []), HOPS[n]
    rows = summary(per_hop(marks, {"o-1": at}), after)
    assert rows[2]["afterWriteP50Ms"] == 4.0 and rows[0]["afterWriteP50Ms"] is None
