"""Sub-commands of the ``appeal`` command line (see appeal.cli)."""
