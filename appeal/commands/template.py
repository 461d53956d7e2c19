"""``appeal template``: write the blank pledge template workbook."""

from __future__ import annotations

import argparse
import sys

HELP = "write the blank pledge template workbook (drop-downs and instructions)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", metavar="FILE", default="pledge_template.xlsx", help="where to write (.xlsx)"
    )


def run(args: argparse.Namespace) -> int:
    from appeal.template import write_template

    try:
        path = write_template(args.out)
    except ValueError as exc:
        print(f"appeal template: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"appeal template: error: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"pledge template written to {path}")
    return 0
