"""The engine's branch and bound on its own, over a relaxation with no solver behind it.

A 0-1 knapsack's LP relaxation has a closed form (greedy by value per weight, one item
fractional), so the search can be checked against brute force on random instances: it must
find the true optimum, also when reduced-cost fixing and the dive are in play.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import branch_and_bound as bnb


class Knapsack:
    """max v.z subject to w.z <= capacity, lo <= z <= hi: a :class:`bnb.Relaxation`."""

    def __init__(self, values: list[int], weights: list[int], capacity: int) -> None:
        self.v = np.asarray(values, dtype=float)
        self.w = np.asarray(weights, dtype=float)
        self.capacity = float(capacity)
        self.lo = np.zeros(len(values))
        self.hi = np.ones(len(values))
        self.dual = 0.0
        self.solves = 0

    def set_binary_bounds(self, lo: np.ndarray, hi: np.ndarray) -> None:
        self.lo, self.hi = lo.copy(), hi.copy()

    def solve_relaxation(self, deadline: float) -> bnb.Relaxed:
        self.solves += 1
        z = self.lo.copy()
        room = self.capacity - float(self.w @ z)
        if room < -1e-9:
            return bnb.Relaxed("infeasible", -np.inf, None, "infeasible")
        free = np.nonzero(self.hi > self.lo)[0]
        self.dual = 0.0
        for i in sorted(free, key=lambda i: -self.v[i] / self.w[i]):
            take = min(1.0, room / self.w[i])
            z[i] = take
            room -= take * self.w[i]
            if take < 1.0:  # the critical item prices the capacity
                self.dual = self.v[i] / self.w[i]
                break
        return bnb.Relaxed("optimal", float(self.v @ z), z)

    def binary_reduced_costs(self) -> np.ndarray:
        return np.abs(self.v - self.dual * self.w)


def brute_force(values: list[int], weights: list[int], capacity: int) -> int:
    best = 0
    for pick in itertools.product((0, 1), repeat=len(values)):
        if sum(p * w for p, w in zip(pick, weights, strict=True)) <= capacity:
            best = max(best, sum(p * v for p, v in zip(pick, values, strict=True)))
    return best


@settings(max_examples=200, deadline=None)
@given(
    items=st.lists(st.tuples(st.integers(1, 30), st.integers(1, 20)), min_size=1, max_size=9),
    fill=st.floats(0.0, 1.0),
)
def test_finds_the_true_optimum(items: list[tuple[int, int]], fill: float) -> None:
    values = [v for v, _ in items]
    weights = [w for _, w in items]
    capacity = int(fill * sum(weights))
    lp = Knapsack(values, weights, capacity)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bnb, "HANDOVER_NODES", 10_000)  # never hand over: test the search itself
        search = bnb.branch_and_bound(lp, len(items), time_limit=30.0, mip_gap=1e-9)
    assert search.status == "optimal"
    assert search.binaries is not None
    assert set(np.unique(search.binaries)) <= {0.0, 1.0}
    assert float(np.dot(weights, search.binaries)) <= capacity
    assert search.objective == pytest.approx(brute_force(values, weights, capacity))
    assert float(np.dot(values, search.binaries)) == pytest.approx(search.objective)
    assert search.gap == 0.0
    assert search.nodes <= lp.solves


def test_a_wide_root_is_handed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bnb, "HANDOVER_FRACTIONAL", 0)
    lp = Knapsack([10, 7, 3], [5, 4, 3], 6)  # one item fractional at the root
    search = bnb.branch_and_bound(lp, 3, time_limit=30.0, mip_gap=1e-9)
    assert search.status == "handover"
    assert search.binaries is None  # nothing found yet: the MIP solver starts from scratch


def test_no_time_means_no_solution_not_a_guess() -> None:
    lp = Knapsack([10, 7, 3], [5, 4, 3], 6)
    search = bnb.branch_and_bound(lp, 3, time_limit=-1.0, mip_gap=1e-9)
    assert search.status == "no_solution"
    assert search.binaries is None
    assert lp.solves == 0
