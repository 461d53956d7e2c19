"""Budget lines and exchange rates edited in the app: validated by the same contract as an
import, scoped by role, stored whole or not at all.

An edit arrives as rows (one dict per line, in the programmes file's columns: ``line_id``,
``name``, ``category``, ``entity``, ``pillar``, ``themes``, ``priority``, ``min_viable_share``,
the narrative columns, ``req_YYYY`` and ``score_<criterion>``; a truthy ``retire`` removes the
line). It is written as the CSV a user could have imported and read back by the importer
(:func:`appeal.importer.read_programmes`), so every cell is checked exactly as an import checks
it and every error names its row and column; then the whole plan — with the pledges already
stored — is validated again (a retired line an earmarked pledge still targets is an error).
Only when nothing is wrong is the edit stored, in one audited transaction.

Scope: an entity focal point edits the lines of its own entities only, and may add lines only
for them; every other line must arrive unchanged. Analysts and admins edit every line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from appeal.accounts import User
from models import contract
from models.plan import PROGRAMME_COLUMNS, Plan, PlanError

if TYPE_CHECKING:
    from appeal.register import Register

__all__ = [
    "EditRefused",
    "Edited",
    "edit_programmes",
    "edit_rates",
    "editable_rows",
    "in_scope",
    "programme_headers",
]

RETIRE = "retire"
_REQ = contract.PROGRAMMES.pattern("req_{}")
_SCORE = contract.PROGRAMMES.pattern("score_{}")
# File header of each plan column (e.g. the plan's "pillars" is the file's "pillar").
_FILE_NAME = {c.plan_name: c.name for c in contract.PROGRAMMES.plan_columns}
EDIT_SOURCE = "programmes editor"
RATES_SOURCE = "exchange-rate editor"


class EditRefused(ValueError):
    """The edit was not stored; ``problems`` lists every reason (row, column, what)."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Edited:
    """What an edit stored."""

    changed: tuple[str, ...]
    added: tuple[str, ...]
    retired: tuple[str, ...]

    @property
    def summary(self) -> str:
        parts = []
        for label, ids in (
            ("changed", self.changed),
            ("added", self.added),
            ("retired", self.retired),
        ):
            if ids:
                parts.append(f"{label} {', '.join(ids)}")
        return "; ".join(parts) or "nothing changed"


def in_scope(user: User, entity: Any) -> bool:
    """Whether ``user`` may edit a line of ``entity``."""
    if user.can("analyst"):
        return True
    return user.role == "focal_point" and str(entity) in user.entities


def programme_headers(plan: Plan) -> list[str]:
    """The editor's columns: the programmes file's, one ``req_YYYY`` per year, the scores."""
    scores = [c for c in plan.programmes.columns if c not in PROGRAMME_COLUMNS]
    years = [f"{_REQ.prefix}{y}" for y in plan.years]
    return [*(_FILE_NAME[c] for c in PROGRAMME_COLUMNS), *years, *scores]


def editable_rows(plan: Plan, user: User) -> list[dict[str, Any]]:
    """The lines ``user`` may edit, as editor rows (file columns, requirements by year)."""
    req = plan.requirements.pivot_table(
        index="line_id", columns="year", values="requirement_usd", aggfunc="sum"
    )
    rows = []
    for rec in plan.programmes.to_dict("records"):
        if not in_scope(user, rec["entity"]):
            continue
        row = {_FILE_NAME.get(str(k), str(k)): _plain(v) for k, v in rec.items()}
        for year in plan.years:
            value: Any = req.at[rec["line_id"], year] if rec["line_id"] in req.index else None
            row[f"{_REQ.prefix}{year}"] = None if value is None or pd.isna(value) else float(value)
        row[RETIRE] = False
        rows.append(row)
    return rows


def _plain(value: Any) -> Any:
    if isinstance(value, float) and pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _csv(rows: Iterable[Mapping[str, Any]], headers: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if row.get(h) is None else row.get(h) for h in headers])
    return buffer.getvalue().encode("utf-8")


def _errors(report: Any) -> list[str]:
    return [str(e) for e in report.errors]


def edit_programmes(register: Register, rows: Sequence[Mapping[str, Any]], user: User) -> Edited:
    """Store the edited lines (see the module doc); :class:`EditRefused` lists every problem
    and nothing is stored."""
    from appeal.importer import read_programmes
    from appeal.service import plan_from_register

    plan = plan_from_register(register)
    headers = programme_headers(plan)
    stored = {r[_FILE_NAME["line_id"]]: r for r in editable_rows(plan, _ALL)}
    problems: list[str] = []
    seen: set[str] = set()
    kept: list[Mapping[str, Any]] = []
    retired: list[str] = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header, as in a file
        line_id = str(row.get("line_id") or "").strip()
        before = stored.get(line_id)
        entity = before["entity"] if before is not None else row.get("entity")
        if line_id in seen:
            problems.append(f"row {number}: line {line_id} appears twice")
        seen.add(line_id)
        changed = before is None or _differs(before, row, headers) or bool(row.get(RETIRE))
        if changed and not (in_scope(user, entity) and in_scope(user, row.get("entity"))):
            problems.append(
                f"row {number}, line {line_id or '(new)'}: you may edit only the lines of "
                f"{', '.join(user.entities) or 'no entity'}"
            )
            continue
        if row.get(RETIRE):
            if before is None:
                problems.append(f"row {number}: a new line cannot be retired")
            retired.append(line_id)
            continue
        kept.append(row)
    # Lines the user may not see were not sent: they stay as stored.
    for line_id, before in stored.items():
        if line_id not in seen and not in_scope(user, before["entity"]):
            kept.append(before)
        elif line_id not in seen and line_id not in retired:
            problems.append(f"line {line_id} is missing from the edit (retire it instead)")
    if problems:
        raise EditRefused(problems)
    programmes, requirements, report = read_programmes(
        _csv(kept, headers), filename=f"{EDIT_SOURCE}.csv"
    )
    problems = _errors(report)
    if problems:
        raise EditRefused(problems)
    try:
        Plan.build(
            programmes=programmes,
            requirements=requirements,
            pledges=plan.pledges,
            tranches=plan.tranches,
            donors=plan.donors,
            fx=plan.fx,
            title=plan.title,
            illustrative=plan.illustrative,
        )
    except PlanError as exc:
        raise EditRefused([str(p) for p in exc.problems] or [str(exc)]) from None
    new_ids = [str(x) for x in programmes["line_id"]]
    edited = Edited(
        changed=tuple(
            i for i in new_ids if i in stored and _differs(stored[i], _row_of(kept, i), headers)
        ),
        added=tuple(i for i in new_ids if i not in stored),
        retired=tuple(retired),
    )
    register.replace_programmes(programmes, requirements, edited.summary)
    return edited


def _row_of(rows: Sequence[Mapping[str, Any]], line_id: str) -> Mapping[str, Any]:
    return next(r for r in rows if str(r.get("line_id")) == line_id)


def _differs(before: Mapping[str, Any], after: Mapping[str, Any], headers: Sequence[str]) -> bool:
    for h in headers:
        a, b = before.get(h), after.get(h)
        if (a in (None, "") and b in (None, "")) or a == b:
            continue
        try:
            if abs(float(a) - float(b)) < 1e-9:  # type: ignore[arg-type]
                continue
        except (TypeError, ValueError):
            pass
        return True
    return False


def edit_rates(register: Register, rows: Sequence[Mapping[str, Any]]) -> int:
    """Store the edited exchange rates (currency, units_per_usd, as_of), checked as an
    import checks them, and the whole plan again (a pledge's currency must keep its rate);
    returns how many rates there are now. :class:`EditRefused` otherwise."""
    from appeal.importer import read_fx
    from appeal.service import plan_from_register

    plan = plan_from_register(register)
    headers = [c.name for c in contract.FX.plan_columns]
    fx, report = read_fx(_csv(rows, headers), filename=f"{RATES_SOURCE}.csv")
    problems = _errors(report)
    if problems:
        raise EditRefused(problems)
    if fx.empty:
        raise EditRefused(["at least one exchange rate is needed"])
    tranches = _converted(plan, fx)
    try:
        Plan.build(
            programmes=plan.programmes,
            requirements=plan.requirements,
            pledges=plan.pledges,
            tranches=tranches,
            donors=plan.donors,
            fx=fx,
            title=plan.title,
            illustrative=plan.illustrative,
        )
    except PlanError as exc:
        raise EditRefused([str(p) for p in exc.problems] or [str(exc)]) from None
    register.replace_fx(fx, tranches)
    return len(fx)


def _converted(plan: Plan, fx: pd.DataFrame) -> pd.DataFrame:
    """The pledges' tranches in USD at the new rates (the amounts in pledge currency stay)."""
    from models import money

    rates = dict(zip(fx["currency"], fx["units_per_usd"].astype(float), strict=True))
    pledges = plan.pledges.set_index("pledge_id")
    rows = []
    for t in plan.tranches.itertuples(index=False):
        pid = str(t.pledge_id)
        currency = str(pledges.at[pid, "currency"])
        psc = float(pledges.at[pid, "psc_rate"])  # type: ignore[arg-type]
        if currency not in rates:
            raise EditRefused([f"pledge {pid} is in {currency}, which has no rate now"])
        parts = [(int(t.year), float(t.amount))]  # type: ignore[arg-type]
        rows += money.tranches(pid, parts, rates[currency], psc)
    return pd.DataFrame(rows, columns=list(plan.tranches.columns))


# Everyone's lines (reading the stored rows to compare with).
_ALL = User("editor", "admin")
