"""``appeal document``: write the narrative appeal document — PDF to send, Word to edit.

The plan comes from files (``--programmes`` and ``--pledges``, as ``appeal plan``) or from the
pledge register; the scenario is a saved one (``--scenario NAME``) or a TOML file
(``--scenario FILE``; the document then says DRAFT). The format follows ``--out``'s suffix.
Confidential donors appear as "Anonymous donor N" unless ``--reveal-confidential``.

Exit codes: 0 written, 2 invalid input (message on stderr, nothing written).

Examples::

    appeal document --scenario baseline --out appeal.pdf
    appeal document --programmes sample_data/programmes.xlsx --pledges sample_data/pledges.xlsx \\
        --fx sample_data/fx_rates.csv --scenario sample_data/scenarios/baseline.toml \\
        --out appeal.docx
"""

from __future__ import annotations

import argparse
import sys

from appeal.commands._source import add_source_options

HELP = "write the narrative appeal document (.pdf to send, .docx to edit)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="FILE", required=True, help="appeal.pdf or appeal.docx")
    add_source_options(parser)


def run(args: argparse.Namespace) -> int:
    from appeal.commands._source import as_at, load_run
    from appeal.document import DocumentError, check_target, write_document
    from appeal.service import InputError
    from models.scenario import ScenarioError

    try:
        check_target(args.out)
        planned, draft = load_run(args)
        path = write_document(
            args.out,
            planned,
            as_at=as_at(args),
            draft=draft,
            reveal_confidential=args.reveal_confidential,
        )
    except (InputError, DocumentError, ScenarioError) as exc:
        print(f"appeal document: {exc}", file=sys.stderr)
        return 2
    totals = planned.result.totals()
    print(
        f"wrote {path}: scenario {planned.scenario.name}{' (draft)' if draft else ''}, "
        f"requirement USD {totals['requirement_usd']:,.0f}, funded USD "
        f"{totals['funded_usd']:,.0f}, gap USD {totals['gap_usd']:,.0f}"
    )
    return 0
