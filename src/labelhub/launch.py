"""The ``labelhub`` command's entry point: starts the integrity check of the project the
command line names (:mod:`labelhub.store.early_check`) before importing the rest of LabelHub,
then runs the command."""

from __future__ import annotations

import os
import sys

from labelhub.store import early_check


def main() -> int:
    path = early_check.project_file(sys.argv[1:], os.environ)
    if path is not None:
        early_check.start(path)
    from labelhub.cli import main as run

    return run()
