"""``bench.hops``: an order's hops from the records' timestamps, and their percentiles."""

from __future__ import annotations

from bench.hops import HOPS, STEPS, per_hop, summary


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
    assert rows[0] == {"hop": HOPS[0], "orders": 100, "p50Ms": 51.0, "p99Ms": 100.0}
    assert rows[1] == {"hop": HOPS[1], "orders": 0, "p50Ms": None, "p99Ms": None}
