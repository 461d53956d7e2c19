"""The engine's own branch and bound on the minimum-viable binaries, over LP relaxations.

The allocation model has one binary per line with a minimum viable share and a tight LP
relaxation, so a handful of warm-started LPs usually settles it; HiGHS's MIP solver spent most
of its time in presolve restarts and sub-MIP heuristics on these models (benchmarks/ has
figures). The search is solver-neutral: it drives a :class:`Relaxation` (the LP with the
binaries' bounds changeable, e.g. :class:`models.solve.HighsModel`) and returns a
:class:`Search`: the best binaries found and the bound, or a request to hand the tree over to a
MIP solver with cutting planes when it grows wide.

Best-first: at the root a diving heuristic finds a good first allocation, then reduced-cost
fixing removes binaries that cannot flip without losing more than the gap. Every binary at 0
(all minimum-viable lines cut) is feasible, so a solution always exists.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = [
    "HANDOVER_FRACTIONAL",
    "HANDOVER_NODES",
    "HANDOVER_SECONDS",
    "Relaxation",
    "Relaxed",
    "Search",
    "branch_and_bound",
]

# Our branch and bound settles S-L plans in a few dozen nodes; when a tree grows past this
# many nodes or seconds (or 4x the root's time) HiGHS's MIP solver, with its cutting planes,
# finishes faster (measured on the XL benchmark plan: 0.7% root gap that branching alone
# could not close in a minute; HiGHS closes it in ~2.5 s).
HANDOVER_NODES = 60
HANDOVER_SECONDS = 1.0
# ... or straight away when more binaries than this are fractional at the root (S-L synthetic
# plans: 1-6; XL: 16).
HANDOVER_FRACTIONAL = 10
# A binary within this of 0 or 1 counts as integral.
INTEGRALITY = 1e-6


@dataclass
class Relaxed:
    """One LP relaxation: status ("optimal" | "infeasible" | "time_limit" | "error"), the
    maximised objective in USD (-inf without a solution), the binaries' values, and the
    solver's own status text (for messages)."""

    status: str
    objective: float
    binaries: np.ndarray | None
    solver_status: str = ""


class Relaxation(Protocol):
    """An LP solver holding the model with the binaries relaxed to [0, 1]."""

    def set_binary_bounds(self, lo: np.ndarray, hi: np.ndarray) -> None:
        """Bounds of the binaries, in their column order."""
        ...

    def solve_relaxation(self, deadline: float) -> Relaxed:
        """Solve the LP as it stands (warm-started), stopping at ``deadline`` (perf_counter)."""
        ...

    def binary_reduced_costs(self) -> np.ndarray:
        """|reduced cost| of each binary in the last optimal LP, objective USD per unit."""
        ...


@dataclass
class Search:
    """What the search found.

    ``status``: "optimal" | "time_limit" (stopped on the time limit with an incumbent) |
    "no_solution" (time limit, nothing found) | "infeasible" | "error" | "handover" (the tree
    is too wide: finish with a MIP solver from ``binaries``, the incumbent, possibly None).
    ``gap`` is relative to the incumbent's objective.
    """

    status: str
    objective: float = -np.inf
    binaries: np.ndarray | None = None
    gap: float = 0.0
    nodes: int = 0
    message: str = ""


def branch_and_bound(lp: Relaxation, n_binaries: int, time_limit: float, mip_gap: float) -> Search:
    """Best-first branch and bound over ``lp``'s relaxations. Leaves the binaries' bounds as
    the last node set them: the caller resets or fixes them."""
    start = time.perf_counter()
    deadline = start + time_limit
    zero, one = np.zeros(n_binaries), np.ones(n_binaries)
    best_obj, best_z = -np.inf, None
    heap: list[tuple[float, int, np.ndarray, np.ndarray]] = [(-np.inf, 0, zero, one)]
    counter = 1
    timed_out = False
    root = True
    nodes = 0
    budget = deadline
    while heap:
        neg_bound, _, lo, hi = heapq.heappop(heap)
        if -neg_bound <= best_obj + _tolerance(best_obj, mip_gap):
            continue
        if time.perf_counter() > deadline:
            heapq.heappush(heap, (neg_bound, 0, lo, hi))
            timed_out = True
            break
        lp.set_binary_bounds(lo, hi)
        node = lp.solve_relaxation(deadline)
        nodes += 1
        if node.status == "time_limit":
            heapq.heappush(heap, (neg_bound, 0, lo, hi))
            timed_out = True
            break
        if node.status != "optimal" or node.binaries is None:
            if node.status == "error":
                why = f"HiGHS failed on a relaxation ({node.solver_status})"
                return Search("error", nodes=nodes, message=why)
            continue
        obj = node.objective
        if obj <= best_obj + _tolerance(best_obj, mip_gap):
            continue
        z = node.binaries
        frac = np.abs(z - np.round(z)) > INTEGRALITY
        if not frac.any():
            best_obj, best_z = obj, np.round(z)
            continue
        if root:
            root = False
            if frac.sum() > HANDOVER_FRACTIONAL:
                # Many lines undecided at the root: a wide tree; cutting planes pay off.
                return Search("handover", nodes=nodes)
            dj = lp.binary_reduced_costs()
            d_obj, d_z = _dive(lp, lo, hi, z, deadline)
            if d_z is not None and d_obj > best_obj:
                best_obj, best_z = d_obj, d_z
            # A binary at a bound whose reduced cost exceeds the root's lead over the
            # incumbent cannot change in any better solution: fix it.
            fixable = ~frac & (obj - dj < best_obj + _tolerance(best_obj, mip_gap))
            lo, hi = lo.copy(), hi.copy()
            lo[fixable] = hi[fixable] = np.round(z[fixable])
            budget = time.perf_counter() + max(HANDOVER_SECONDS, 4 * (time.perf_counter() - start))
        elif nodes > HANDOVER_NODES or time.perf_counter() > budget:
            # A tree this wide needs cutting planes, not just branching: hand over.
            return Search("handover", objective=best_obj, binaries=best_z, nodes=nodes)
        # Branch on the most fractional binary.
        j = int(np.argmin(np.abs(z - 0.5)))
        for value in (1.0, 0.0):
            c_lo, c_hi = lo.copy(), hi.copy()
            c_lo[j] = c_hi[j] = value
            heapq.heappush(heap, (-obj, counter, c_lo, c_hi))
            counter += 1
    if best_z is None:
        return Search("no_solution" if timed_out else "infeasible", nodes=nodes)
    open_bound = max((-b for b, *_ in heap), default=best_obj)
    gap = max(0.0, open_bound - best_obj) / max(abs(best_obj), 1e-9) if heap else 0.0
    status = "time_limit" if timed_out else "optimal"
    return Search(status, objective=best_obj, binaries=best_z, gap=gap, nodes=nodes)


def _dive(
    lp: Relaxation, lo: np.ndarray, hi: np.ndarray, z: np.ndarray, deadline: float
) -> tuple[float, np.ndarray | None]:
    """Primal heuristic: repeatedly fix the fractional binary nearest 1 to 1 (to 0 when
    that is infeasible) and re-solve, until the LP solution is integral."""
    lo, hi = lo.copy(), hi.copy()
    obj = -np.inf
    for _ in range(len(z) + 1):
        frac = np.nonzero(np.abs(z - np.round(z)) > INTEGRALITY)[0]
        if not len(frac):
            break
        j = int(frac[np.argmax(z[frac])])
        for value in (1.0, 0.0):
            lo[j] = hi[j] = value
            lp.set_binary_bounds(lo, hi)
            node = lp.solve_relaxation(deadline)
            if node.status == "optimal" and node.binaries is not None:
                z, obj = node.binaries, node.objective
                break
        else:
            return -np.inf, None
        if time.perf_counter() > deadline:
            return -np.inf, None
    else:
        return -np.inf, None
    return obj, np.round(z)


def _tolerance(best: float, mip_gap: float) -> float:
    """Absolute pruning tolerance for a relative gap (a node must beat best by more)."""
    return mip_gap * max(abs(best), 1.0) if np.isfinite(best) else 0.0
