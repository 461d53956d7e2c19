"""What a reader may be told about the files it reads: their layout (``--format``), how their
csv is written (``--delimiter``, ``--encoding``, ``--decimal``) and which flows count as new
money (``--keep-flows``). One value, :class:`ReadOptions`, carried from the command line or the
dashboard to every reader. Light on purpose: the command line builds it before any heavy
module is imported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from appeal.csv_reader import CsvOptions
from models import contract

__all__ = ["ReadOptions"]


@dataclass(frozen=True)
class ReadOptions:
    """``format``: ``contract`` (the planner's own layout) or an import profile's name
    (:data:`models.contract.PROFILES`). ``keep_flows``: flow types counted as new money besides
    :data:`models.contract.NEW_MONEY_FLOWS` (``carry_over``, ``pass_through``)."""

    format: str = "contract"
    csv: CsvOptions = field(default_factory=CsvOptions)
    keep_flows: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.format not in contract.FORMATS:
            raise ValueError(
                f"unknown format {self.format!r}; expected one of {', '.join(contract.FORMATS)}"
            )
        choices = dict(contract.FLOW_TYPE.spellings())
        flows = set()
        for flow in self.keep_flows:
            key = flow.strip().casefold().replace("-", " ").replace("_", " ")
            value = next((v for s, v in choices.items() if s.replace("_", " ") == key), None)
            if value is None:
                raise ValueError(
                    f"unknown flow type {flow!r} for --keep-flows; expected "
                    + ", ".join(contract.FLOW_TYPE.values)
                )
            flows.add(value)
        object.__setattr__(self, "keep_flows", frozenset(flows))

    @classmethod
    def of(
        cls,
        format: str | None = None,
        *,
        delimiter: str | None = None,
        encoding: str | None = None,
        decimal: str | None = None,
        keep_flows: Iterable[str] = (),
    ) -> ReadOptions:
        """From the command line's (or the dashboard's) loose values; ValueError for bad ones."""
        if decimal not in (None, ".", ","):
            raise ValueError(f"--decimal must be . or , (got {decimal!r})")
        csv = CsvOptions(delimiter=delimiter, encoding=encoding, decimal=decimal)  # type: ignore[arg-type]
        flows = [f for item in keep_flows for f in item.split(",") if f.strip()]
        return cls(format or "contract", csv, frozenset(flows))

    @property
    def profile_name(self) -> str | None:
        """The import profile to read with (None: the contract's own layout)."""
        return None if self.format == "contract" else self.format

    @property
    def profile(self) -> contract.ImportProfile | None:
        name = self.profile_name
        return contract.PROFILES[name] if name else None

    @property
    def new_money(self) -> frozenset[str]:
        """Flow types whose rows are imported."""
        return contract.NEW_MONEY_FLOWS | self.keep_flows
