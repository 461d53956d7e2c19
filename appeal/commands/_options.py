"""Options shared by the commands that read a plan from files (plan, analyse, export)."""

from __future__ import annotations

import argparse
from typing import Any


def add_plan_file_options(target: Any, *, required_note: str = "") -> None:
    """--programmes, --pledges (repeatable, or several after one flag), --donors, --fx and
    --skip-invalid on a parser or argument group."""
    target.add_argument(
        "--programmes", metavar="FILE", help=f"budget lines (xlsx or csv){required_note}"
    )
    target.add_argument(
        "--pledges",
        metavar="FILE",
        nargs="+",
        action="extend",
        help=f"pledge files (xlsx or csv); repeat or list several{required_note}",
    )
    target.add_argument("--donors", metavar="FILE", help="donor types and regions (optional)")
    target.add_argument("--fx", metavar="FILE", help="exchange rates, units per USD")
    target.add_argument(
        "--skip-invalid",
        action="store_true",
        help="keep the valid rows and report the rejected ones (default: refuse the import)",
    )


def add_reveal_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reveal-confidential",
        action="store_true",
        help="show confidential donors' names (internal use only)",
    )
