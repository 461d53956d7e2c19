"""Pledge-risk simulation: how much of the plan survives if some pledges never materialise.

Each pledge materialises (all of its money) with a probability set by its status — defaults
paid 1.0, committed 0.95, pledged 0.7 (``scenario.risk.status_probability``) — or by its donor
(``scenario.risk.donor_probability``, which wins over status). For N draws the allocation is
re-solved with the missing pledges' money set to zero, giving per line-year, per line and in
total the P10/P50/P90 (and mean) of funded and gap, the probability each line is fully funded,
and the probability each minimum-viable programme reaches its minimum.

How (and why):

- **Reuse the model.** Each worker builds :class:`models.allocation.AllocationModel` once;
  per draw only a factor vector changes (money per pool from it in numpy, then
  ``solve_supply``: the money in the live model changes, every lexicographic stage re-runs
  warm-started, nothing is rebuilt). Identical draws (same set of missing pledges) within a
  chunk are solved once. ``benchmarks/bench_risk.py`` prints where a draw's time goes.
- **Reproducible.** All random numbers are drawn up front in the parent from
  ``numpy.random.default_rng(seed)``, one uniform per pledge (in pledge_id order) per draw.
  Draws are cut into fixed chunks (their size depends on the number of draws only); each chunk
  starts from the same solver state (a fresh solver warm-started from the plan's own solve) and
  its own cache, so the result depends only on the seed and the draws — not on the number of
  workers or on timing. (Warm starts
  matter: lines of one tier are interchangeable, so an LP has several optima and a different
  starting basis may pick another one.)
- **Both cores.** Draws are split into chunks handed to ``workers`` processes (a
  ``ProcessPoolExecutor`` with the ``fork`` start method: the plan is inherited, not
  pickled). Where processes cannot be started (e.g. inside a daemon process) the simulation
  runs in-process with the same results.
- **Progress and cancel.** ``progress(done, total)`` is called after every chunk;
  ``should_stop()`` is checked between chunks and ends the run early (``cancelled=True``,
  figures over the draws done).

Public: :func:`simulate`, :func:`pledge_probabilities`, :class:`RiskResult`.
"""

from __future__ import annotations

import math
import multiprocessing
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from models import allocation, money
from models.gaps import to_records
from models.plan import Plan
from models.pooling import sum_by
from models.scenario import Risk, Scenario

QUANTILES = (0.10, 0.50, 0.90)
# Funded within a cent of the requirement counts as fully funded (LP float noise).
TOLERANCE_USD = 0.01
# Per-worker cache of solved draws, keyed by which pledges materialised.
CACHE_LIMIT = 4096
OK_STATUSES = frozenset({"optimal", "time_limit_feasible"})

ProgressCallback = Callable[[int, int], None]
StopCheck = Callable[[], bool]


class RiskError(ValueError):
    """Invalid simulation settings (the message names the setting)."""


# --------------------------------------------------------------------------------------------
# probabilities
# --------------------------------------------------------------------------------------------
def pledge_probabilities(plan: Plan, risk: Risk) -> pd.DataFrame:
    """Probability each pledge materialises: pledge_id, donor, status, probability
    (sorted by pledge_id — the order random numbers are drawn in)."""
    defaults = Risk().status_probability
    status_p = {**defaults, **risk.status_probability}
    pledges = plan.pledges[["pledge_id", "donor", "status"]].copy()
    pledges["pledge_id"] = pledges["pledge_id"].astype(str)
    pledges["donor"] = pledges["donor"].astype(str)
    probs = []
    for donor, status in zip(pledges["donor"], pledges["status"], strict=True):
        if donor in risk.donor_probability:
            probs.append(float(risk.donor_probability[donor]))
        else:
            probs.append(float(status_p.get(str(status), 1.0)))
    pledges["probability"] = probs
    return pledges.sort_values("pledge_id", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# the work one process does
# --------------------------------------------------------------------------------------------
@dataclass
class _Job:
    """Everything a worker needs; inherited through fork, never pickled."""

    plan: Plan
    scenario: Scenario
    risky_ids: list[str]  # pledges with probability < 1 (the only ones whose scale changes)
    materialised: np.ndarray  # bool (draws, len(risky_ids))
    line_index: pd.MultiIndex  # (line_id, year) order of the output arrays
    mv_lines: list[str]  # lines with a minimum viable share


@dataclass
class _Chunk:
    start: int
    funded: np.ndarray  # (n, line-years)
    firm: np.ndarray
    mv: np.ndarray  # bool (n, mv lines)
    ok: np.ndarray  # bool (n,)
    statuses: dict[str, int]


class _Worker:
    """Builds the engine's model once; each draw changes right-hand sides only."""

    def __init__(self, job: _Job) -> None:
        self.job = job
        self.model = allocation.AllocationModel.build(job.plan, job.scenario)
        self.cache: dict[bytes, tuple[str, np.ndarray, np.ndarray, np.ndarray]] = {}
        reader = self.model.reader
        # Per draw only a factor vector changes: the risky pledges' positions in it, and each
        # engine line-year's output position, are looked up once.
        self.codes = reader.pledge_codes(job.risky_ids)
        self.factor = np.ones(reader.n_pledge_codes + 1)
        self.positions = self._positions(reader.ly_frame)
        # Every chunk starts from the plan's own solve (the same in every worker): a warm
        # first draw, and still the same state for every chunk.
        self.model.reset_warm_start()
        self.model.solve_supply(self.model.pools.pool_supply, reader.firm_supply(), frame=False)
        self.start = self.model.warm_start()

    def run(self, start: int, stop: int) -> _Chunk:
        job = self.job
        n, m = stop - start, len(job.line_index)
        funded = np.zeros((n, m))
        firm = np.zeros((n, m))
        mv = np.zeros((n, len(job.mv_lines)), dtype=bool)
        ok = np.zeros(n, dtype=bool)
        statuses: dict[str, int] = {}
        # Each chunk starts from the same state and caches only its own draws: a chunk's
        # results then depend on its draws alone, not on which worker ran it or what that
        # worker did before (a warm-started LP can land on another of several optima: lines
        # of one tier are interchangeable).
        self.model.reset_warm_start(self.start)
        self.cache.clear()
        for i in range(n):
            row = job.materialised[start + i]
            key = np.packbits(row).tobytes()
            hit = self.cache.get(key)
            if hit is None:
                hit = self._solve(row)
                if len(self.cache) < CACHE_LIMIT:
                    self.cache[key] = hit
            status, funded[i], firm[i], mv[i] = hit
            ok[i] = status in OK_STATUSES
            statuses[status] = statuses.get(status, 0) + 1
        return _Chunk(start, funded, firm, mv, ok, statuses)

    def _solve(self, row: np.ndarray) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
        job = self.job
        factor = self.factor
        factor[:] = 1.0
        factor[self.codes] = row.astype(float)
        factor[-1] = 1.0  # pledges without pooled money
        supply, firm_supply = self.model.reader.supply_for(factor)
        sol = self.model.solve_supply(supply, firm_supply, frame=False)
        m = len(job.line_index)
        funded = np.zeros(m)
        firm = np.zeros(m)
        if sol.funded_ly is not None and sol.firm_ly is not None:
            funded = sum_by(self.positions, weights=sol.funded_ly, minlength=m + 1)[:m]
            firm = sum_by(self.positions, weights=sol.firm_ly, minlength=m + 1)[:m]
        met = sol.min_viable_funded
        mv = np.array([bool(met.get(line, False)) for line in job.mv_lines], dtype=bool)
        return str(sol.status), funded, firm, mv

    def _positions(self, frame: pd.DataFrame) -> np.ndarray:
        """Output position of each of the engine's line-years (m = outside the horizon): the
        engine returns the same line-years in the same order on every re-solve."""
        keys = pd.MultiIndex.from_arrays(
            [pd.Index(frame["line_id"]).astype(str), pd.Index(frame["year"]).astype(int)],
            names=["line_id", "year"],
        )
        pos = self.job.line_index.get_indexer(keys)
        return np.where(pos < 0, len(self.job.line_index), pos).astype(np.intp)


# Set in each pool process by _init_worker (fork inherits the job from the parent).
_PROCESS_WORKER: _Worker | None = None
_PROCESS_ERROR: BaseException | None = None


def _init_worker(job: _Job) -> None:
    global _PROCESS_WORKER, _PROCESS_ERROR
    try:
        _PROCESS_WORKER = _Worker(job)
    except Exception as exc:
        # An initializer that raises only shows as a broken pool; keep the error and raise it
        # from the first task instead, so the parent sees what went wrong.
        _PROCESS_ERROR = exc


def _run_chunk(bounds: tuple[int, int]) -> _Chunk:
    if _PROCESS_WORKER is None:
        if _PROCESS_ERROR is not None:
            raise _PROCESS_ERROR  # the same error the in-process path raises
        raise RuntimeError("simulation worker was not initialised")
    return _PROCESS_WORKER.run(*bounds)


# --------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------
@dataclass
class RiskResult:
    """Distribution of the plan's outcome over the simulated draws.

    ``lines``: line_id, year, requirement_usd, funded_p10/p50/p90, funded_mean, gap_p10/p50/p90,
    firm_p50. ``by_line``: the same per line over all years plus name and
    probability_fully_funded. ``totals``: the same in total (floats). ``min_viable``: line_id,
    name, min_viable_share, probability_funded. ``total_funded_draws``: total funded per draw
    (for a histogram). Gap quantiles are of the gap distribution (gap_p10 is a good outcome).
    """

    draws: int
    draws_done: int
    seed: int
    workers: int
    cancelled: bool
    seconds: float
    lines: pd.DataFrame
    by_line: pd.DataFrame
    totals: dict[str, float]
    min_viable: pd.DataFrame
    pledges: pd.DataFrame  # pledge_id, donor, status, probability
    total_funded_draws: list[float] = field(default_factory=list)
    failed_draws: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    def to_dict(self, aliases: Mapping[str, str] | None = None) -> dict[str, Any]:
        """JSON-safe summary (no per-pledge donor names)."""
        del aliases  # nothing here names a donor; kept for a uniform signature
        return {
            "draws": self.draws,
            "draws_done": self.draws_done,
            "seed": self.seed,
            "workers": self.workers,
            "cancelled": self.cancelled,
            "seconds": self.seconds,
            "failed_draws": self.failed_draws,
            "statuses": dict(self.statuses),
            "quantiles": list(QUANTILES),
            "totals": dict(self.totals),
            "by_line": to_records(self.by_line),
            "lines": to_records(self.lines),
            "min_viable": to_records(self.min_viable),
            "expected_materialised_share": _expected_share(self.pledges),
        }


def _expected_share(pledges: pd.DataFrame) -> float:
    if "programmable_usd" not in pledges or not len(pledges):
        return 1.0
    total = float(pledges["programmable_usd"].sum())
    if total <= 0:
        return 1.0
    return float((pledges["programmable_usd"] * pledges["probability"]).sum()) / total


def _quantiles(values: np.ndarray) -> np.ndarray:
    """P10/P50/P90 along axis 0, shape (3, ...). Sorted along the quantile axis as a guard:
    interpolation in floating point must never give P10 > P50 by an ulp."""
    if values.shape[0] == 0:
        return np.full((len(QUANTILES), *values.shape[1:]), np.nan)
    q = np.quantile(values, QUANTILES, axis=0)
    return np.sort(q, axis=0)


def _summarise(
    job: _Job,
    requirement: np.ndarray,
    funded: np.ndarray,
    firm: np.ndarray,
    mv: np.ndarray,
    plan: Plan,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float], pd.DataFrame, list[float]]:
    line_ids = job.line_index.get_level_values(0).to_numpy()
    years = job.line_index.get_level_values(1).to_numpy()

    def frame(keys: dict[str, Any], req: np.ndarray, f: np.ndarray, fi: np.ndarray) -> pd.DataFrame:
        g = req[None, :] - f
        qf, qg, qfirm = _quantiles(f), _quantiles(g), _quantiles(fi)
        out = pd.DataFrame(keys)
        out["requirement_usd"] = req
        for i, q in enumerate(QUANTILES):
            out[f"funded_p{round(q * 100)}"] = qf[i]
        out["funded_mean"] = f.mean(axis=0) if f.shape[0] else np.nan
        for i, q in enumerate(QUANTILES):
            out[f"gap_p{round(q * 100)}"] = qg[i]
        out["firm_p50"] = qfirm[1]
        return out

    lines = frame({"line_id": line_ids, "year": years}, requirement, funded, firm)

    order = list(dict.fromkeys(line_ids.tolist()))
    # member[i, j] = 1 when line-year i belongs to line j (sums line-years into lines).
    member = np.zeros((len(line_ids), len(order)))
    column = {lid: j for j, lid in enumerate(order)}
    member[np.arange(len(line_ids)), [column[lid] for lid in line_ids]] = 1.0
    line_req = requirement @ member
    line_funded = funded @ member
    by_line = frame({"line_id": order}, line_req, line_funded, firm @ member)
    names = dict(zip(plan.programmes["line_id"].astype(str), plan.programmes["name"], strict=True))
    by_line.insert(1, "name", [str(names.get(x, x)) for x in order])
    full = line_funded >= line_req[None, :] - TOLERANCE_USD
    by_line["probability_fully_funded"] = full.mean(axis=0) if len(full) else np.nan

    total_req = float(requirement.sum())
    total_funded = funded.sum(axis=1)
    total_firm = firm.sum(axis=1)
    qf, qg, qfirm = (
        _quantiles(total_funded),
        _quantiles(total_req - total_funded),
        _quantiles(total_firm),
    )
    totals: dict[str, float] = {"requirement_usd": total_req}
    for i, q in enumerate(QUANTILES):
        totals[f"funded_p{round(q * 100)}"] = float(qf[i])
    totals["funded_mean"] = float(total_funded.mean()) if len(total_funded) else math.nan
    for i, q in enumerate(QUANTILES):
        totals[f"gap_p{round(q * 100)}"] = float(qg[i])
    for i, q in enumerate(QUANTILES):
        totals[f"firm_p{round(q * 100)}"] = float(qfirm[i])

    shares = dict(
        zip(
            plan.programmes["line_id"].astype(str),
            plan.programmes["min_viable_share"].astype(float),
            strict=True,
        )
    )
    min_viable = pd.DataFrame(
        {
            "line_id": job.mv_lines,
            "name": [str(names.get(x, x)) for x in job.mv_lines],
            "min_viable_share": [shares[x] for x in job.mv_lines],
            "probability_funded": mv.mean(axis=0)
            if len(mv)
            else np.full(len(job.mv_lines), np.nan),
        }
    )
    return lines, by_line, totals, min_viable, [float(x) for x in total_funded]


# --------------------------------------------------------------------------------------------
# public entry point
# --------------------------------------------------------------------------------------------
def simulate(
    plan: Plan,
    scenario: Scenario,
    *,
    draws: int | None = None,
    seed: int | None = None,
    workers: int = 2,
    progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
    chunk_size: int | None = None,
) -> RiskResult:
    """Simulate ``draws`` outcomes of the plan under pledge risk (defaults from
    ``scenario.risk``). Same seed -> identical result, whatever ``workers`` is."""
    started = time.perf_counter()
    draws = int(scenario.risk.draws if draws is None else draws)
    seed = int(scenario.risk.seed if seed is None else seed)
    if draws < 1:
        raise RiskError(f"draws must be >= 1, got {draws}")
    if workers < 1:
        raise RiskError(f"workers must be >= 1, got {workers}")
    if seed < 0:
        raise RiskError(f"seed must be >= 0, got {seed}")

    probs = pledge_probabilities(plan, scenario.risk)
    programmable = plan.tranches.groupby(plan.tranches["pledge_id"].astype(str))[
        "programmable_usd"
    ].sum()
    probs["programmable_usd"] = probs["pledge_id"].map(programmable).fillna(0.0).astype(float)
    rng = np.random.default_rng(seed)
    uniforms = rng.random((draws, len(probs)))
    got = uniforms < probs["probability"].to_numpy()[None, :]
    risky = probs["probability"].to_numpy() < 1.0
    job = _Job(
        plan=plan,
        scenario=scenario,
        risky_ids=probs.loc[risky, "pledge_id"].tolist(),
        materialised=got[:, risky],
        line_index=_line_index(plan, scenario),
        mv_lines=[
            str(lid)
            for lid, m in zip(
                plan.programmes["line_id"], plan.programmes["min_viable_share"], strict=True
            )
            if float(m or 0.0) > 0
        ],
    )
    req_series = (
        plan.requirements.assign(
            line_id=plan.requirements["line_id"].astype(str),
            year=plan.requirements["year"].astype(int),
        )
        .groupby(["line_id", "year"])["requirement_usd"]
        .sum()
        .reindex(job.line_index, fill_value=0.0)
    )
    requirement = req_series.to_numpy(dtype=float)

    # Chunk size depends on the draws only (never on workers): chunks are the unit that makes
    # results independent of the worker count (see _Worker.run).
    size = chunk_size or max(1, min(50, math.ceil(draws / 20)))
    bounds = [(s, min(draws, s + size)) for s in range(0, draws, size)]
    chunks, cancelled, used_workers = _execute(job, bounds, workers, draws, progress, should_stop)

    chunks.sort(key=lambda c: c.start)
    m = len(job.line_index)
    funded = np.concatenate([c.funded for c in chunks]) if chunks else np.zeros((0, m))
    firm = np.concatenate([c.firm for c in chunks]) if chunks else np.zeros((0, m))
    mv = (
        np.concatenate([c.mv for c in chunks])
        if chunks
        else np.zeros((0, len(job.mv_lines)), dtype=bool)
    )
    ok = np.concatenate([c.ok for c in chunks]) if chunks else np.zeros(0, dtype=bool)
    statuses: dict[str, int] = {}
    for c in chunks:
        for k, v in c.statuses.items():
            statuses[k] = statuses.get(k, 0) + v
    # A failed re-solve says nothing about funding: leave it out of the distribution.
    lines, by_line, totals, min_viable, total_draws = _summarise(
        job, requirement, funded[ok], firm[ok], mv[ok], plan
    )
    return RiskResult(
        draws=draws,
        draws_done=len(ok),
        seed=seed,
        workers=used_workers,
        cancelled=cancelled,
        seconds=time.perf_counter() - started,
        lines=lines,
        by_line=by_line,
        totals=totals,
        min_viable=min_viable,
        pledges=probs,
        total_funded_draws=total_draws,
        failed_draws=int((~ok).sum()),
        statuses=statuses,
    )


def _line_index(plan: Plan, scenario: Scenario) -> pd.MultiIndex:
    """(line_id, year) of every requirement in the scenario's horizon, in programme order."""
    req = plan.requirements
    years = req["year"].astype(int)
    keep = years.isin(money.horizon_years(plan.years, scenario.start_year, scenario.end_year))
    rank = {str(x): i for i, x in enumerate(plan.programmes["line_id"])}
    pairs = sorted(
        {(str(lid), int(y)) for lid, y in zip(req.loc[keep, "line_id"], years[keep], strict=True)},
        key=lambda p: (rank.get(p[0], len(rank)), p[0], p[1]),
    )
    return pd.MultiIndex.from_tuples(pairs, names=["line_id", "year"])


def _execute(
    job: _Job,
    bounds: Sequence[tuple[int, int]],
    workers: int,
    total: int,
    progress: ProgressCallback | None,
    should_stop: StopCheck | None,
) -> tuple[list[_Chunk], bool, int]:
    """Run the chunks in ``workers`` forked processes, or in-process when that is 1 or
    impossible. Returns (chunks done, cancelled, workers used)."""
    chunks: list[_Chunk] = []
    done = 0

    def stop() -> bool:
        return bool(should_stop and should_stop())

    if stop():
        return chunks, True, 0
    n_workers = min(workers, len(bounds))
    executor: ProcessPoolExecutor | None = None
    futures: list[Future[_Chunk]] = []
    if n_workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        # ProcessPoolExecutor rather than multiprocessing.Pool: a worker that dies (crash, out
        # of memory) breaks the executor with an error instead of hanging the caller forever.
        try:
            executor = ProcessPoolExecutor(
                n_workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_init_worker,
                initargs=(job,),
            )
            futures = [executor.submit(_run_chunk, b) for b in bounds]
        except (AssertionError, OSError):
            # e.g. "daemonic processes are not allowed to have children": run in-process.
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)
            executor = None
    if executor is None:
        worker = _Worker(job)
        for start, stop_at in bounds:
            chunks.append(worker.run(start, stop_at))
            done += stop_at - start
            if progress:
                progress(done, total)
            if stop() and done < total:
                return chunks, True, 1
        return chunks, False, 1
    cancelled = False
    finished = False
    try:
        for future in as_completed(futures):
            try:
                chunk = future.result()
            except BrokenProcessPool as exc:
                raise RuntimeError(
                    f"a simulation worker process stopped unexpectedly ({exc}); "
                    "try again with one worker"
                ) from exc
            chunks.append(chunk)
            done += len(chunk.ok)
            if progress:
                progress(done, total)
            if stop() and done < total:
                cancelled = True
                break
        finished = not cancelled
    finally:
        # Cancelled, failed or interrupted: drop the chunks not started, do not wait for the
        # (short) ones running.
        executor.shutdown(wait=finished, cancel_futures=not finished)
    return chunks, cancelled, n_workers
