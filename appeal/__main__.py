"""``python -m appeal`` runs the command line."""

import sys

from appeal.cli import main

sys.exit(main())
