"""A linear model in matrix form whose variables and constraints are addressed by family name.

A small numpy stand-in for a labelled modelling layer (linopy, PyPSA's ``define_*`` style):
a *family* of columns (variables) or rows (constraints) is added in one call with array
bounds and keeps its name, so code reads ``model.rows("balance")`` instead of counting
positions. Coefficients are COO triplets. A model can carry several *named objectives*
(cost vectors over all columns), optimised one after another by a lexicographic solve
(:mod:`models.stages`); the first one defined is the model's primary objective.
:meth:`MatrixBuilder.build` freezes everything into a :class:`LinearModel`: the plain arrays
a solver takes as they are (HiGHS's ``addCols`` / ``addRows``, or PuLP), with the families
kept for addressing rows and columns afterwards (right-hand sides on re-solves, duals, bound
and cost ranging).

A hand-written builder rather than linopy itself: the allocation model is built from
vectorised numpy index arithmetic in tens of milliseconds even at 10,000 pledges, and the
arrays go straight to highspy; a labelled xarray layer would cost more than the solve.

Families are stored in the order they are added; rows and columns are numbered in that order,
and the terms of one row keep the order they were added in (so the matrix, and with it the
solver's path through ties, depends only on the order of the ``define_*`` calls).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["INF", "LinearModel", "MatrixBuilder"]

INF = float("inf")


@dataclass(frozen=True)
class LinearModel:
    """maximise ``cost @ x`` subject to ``row_lo <= A x <= row_hi`` and
    ``col_lo <= x <= col_hi``, ``x[j]`` integer where ``integer[j]``.

    ``A`` is in COO form (``a_row``, ``a_col``, ``a_val``). ``col_families`` /
    ``row_families`` map each family's name to its range of indices. ``objectives`` maps
    each named objective to its cost vector (maximised); ``cost`` is the first of them."""

    objectives: Mapping[str, np.ndarray]
    col_lo: np.ndarray
    col_hi: np.ndarray
    integer: np.ndarray  # bool per column
    row_lo: np.ndarray
    row_hi: np.ndarray
    a_row: np.ndarray
    a_col: np.ndarray
    a_val: np.ndarray
    col_families: Mapping[str, range]
    row_families: Mapping[str, range]

    @property
    def cost(self) -> np.ndarray:
        """The primary objective (the first one defined)."""
        return next(iter(self.objectives.values()))

    @property
    def n_cols(self) -> int:
        return len(self.col_lo)

    @property
    def n_rows(self) -> int:
        return len(self.row_lo)

    @property
    def is_mip(self) -> bool:
        return bool(self.integer.any())

    def cols(self, family: str) -> np.ndarray:
        """Column indices of a variable family (KeyError for a family never defined)."""
        return _indices(self.col_families[family])

    def rows(self, family: str) -> np.ndarray:
        """Row indices of a constraint family (KeyError for a family never defined)."""
        return _indices(self.row_families[family])

    def objective(self, name: str) -> np.ndarray:
        """Cost vector of a named objective (KeyError for one never defined)."""
        return self.objectives[name]


class MatrixBuilder:
    """Collects variable and constraint families, their bounds, costs and coefficients."""

    def __init__(self) -> None:
        self._col_families: dict[str, range] = {}
        self._row_families: dict[str, range] = {}
        self._costs: dict[str, dict[str, np.ndarray]] = {}  # objective -> family -> costs
        self._col_lo: dict[str, np.ndarray] = {}
        self._col_hi: dict[str, np.ndarray] = {}
        self._integer: dict[str, bool] = {}
        self._row_lo: list[np.ndarray] = []
        self._row_hi: list[np.ndarray] = []
        self._terms: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.n_cols = 0
        self.n_rows = 0

    # -- variables --------------------------------------------------------------------------
    def add_variables(
        self,
        family: str,
        count: int,
        *,
        lower: float | np.ndarray = 0.0,
        upper: float | np.ndarray = INF,
        integer: bool = False,
    ) -> np.ndarray:
        """Add ``count`` columns named ``family`` (cost 0); returns their indices."""
        if family in self._col_families:
            raise ValueError(f"variable family {family!r} defined twice")
        span = range(self.n_cols, self.n_cols + count)
        self._col_families[family] = span
        self._col_lo[family] = _full(lower, count)
        self._col_hi[family] = _full(upper, count)
        self._integer[family] = integer
        self.n_cols += count
        return _indices(span)

    def cols(self, family: str) -> np.ndarray:
        """Column indices of a family added so far (KeyError when not defined yet)."""
        return _indices(self._col_families[family])

    def set_upper(self, family: str, upper: float | np.ndarray) -> None:
        """Upper bounds of a whole variable family (e.g. a cap written as bounds)."""
        self._col_hi[family] = _full(upper, len(self._col_families[family]))

    def set_cost(self, family: str, cost: float | np.ndarray, objective: str) -> None:
        """Coefficients of a whole variable family (per unit, maximised) in the named
        objective (created on first use; families not set cost 0 in it)."""
        costs = self._costs.setdefault(objective, {})
        costs[family] = _full(cost, len(self._col_families[family]))

    # -- constraints ------------------------------------------------------------------------
    def add_constraints(
        self,
        family: str,
        count: int,
        *,
        lower: float | np.ndarray = -INF,
        upper: float | np.ndarray = INF,
    ) -> np.ndarray:
        """Add ``count`` rows ``lower <= A x <= upper`` named ``family``; returns their
        indices. Coefficients come with :meth:`add_terms`."""
        if family in self._row_families:
            raise ValueError(f"constraint family {family!r} defined twice")
        span = range(self.n_rows, self.n_rows + count)
        self._row_families[family] = span
        self._row_lo.append(_full(lower, count))
        self._row_hi.append(_full(upper, count))
        self.n_rows += count
        return _indices(span)

    def rows(self, family: str) -> np.ndarray:
        """Row indices of a family added so far (KeyError when not defined yet)."""
        return _indices(self._row_families[family])

    def add_terms(self, rows: np.ndarray, cols: np.ndarray, coefs: float | np.ndarray) -> None:
        """Coefficients ``A[rows[i], cols[i]] = coefs[i]`` (a scalar applies to all)."""
        r = np.asarray(rows, dtype=np.int64)
        c = np.asarray(cols, dtype=np.int64)
        self._terms.append((r, c, np.broadcast_to(np.asarray(coefs, dtype=float), r.shape)))

    # -- freeze -----------------------------------------------------------------------------
    def build(self) -> LinearModel:
        families = list(self._col_families)
        integer = np.zeros(self.n_cols, dtype=bool)
        for name in families:
            if self._integer[name]:
                integer[_indices(self._col_families[name])] = True
        if self._terms:
            a_row = np.concatenate([t[0] for t in self._terms])
            a_col = np.concatenate([t[1] for t in self._terms])
            a_val = np.concatenate([t[2] for t in self._terms]).astype(float)
        else:
            a_row = a_col = np.zeros(0, dtype=np.int64)
            a_val = np.zeros(0)
        objectives = {
            name: _concat([costs.get(f, np.zeros(len(self._col_families[f]))) for f in families])
            for name, costs in self._costs.items()
        }
        if not objectives:
            objectives = {"objective": np.zeros(self.n_cols)}
        return LinearModel(
            objectives=objectives,
            col_lo=_concat([self._col_lo[f] for f in families]),
            col_hi=_concat([self._col_hi[f] for f in families]),
            integer=integer,
            row_lo=_concat(self._row_lo),
            row_hi=_concat(self._row_hi),
            a_row=a_row,
            a_col=a_col,
            a_val=a_val,
            col_families=dict(self._col_families),
            row_families=dict(self._row_families),
        )


def _indices(span: range) -> np.ndarray:
    return np.arange(span.start, span.stop, dtype=np.int64)


def _full(value: float | np.ndarray, count: int) -> np.ndarray:
    out = np.asarray(value, dtype=float)
    if out.ndim == 0:
        return np.full(count, float(out))
    if out.shape != (count,):
        raise ValueError(f"expected {count} values, got shape {out.shape}")
    return out.copy()


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0)
