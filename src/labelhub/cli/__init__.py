"""The `labelhub` command. No Qt is imported unless the window is launched.

``--json`` prints one JSON object on stdout and nothing else there; errors go to stderr with
exit status 1, usage errors with 2. Each area of LabelHub adds its commands from a module of
its own here, through that module's ``register``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from labelhub import __version__
from labelhub.cli import (
    assets_commands,
    model_commands,
    project_commands,
    review_commands,
    version_commands,
)
from labelhub.cli._common import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE, UsageError
from labelhub.errors import Cancelled, LabelHubError

#: The modules whose ``register(sub, json_opt, parser_class)`` add commands, in help order.
COMMAND_MODULES = [project_commands, version_commands, review_commands, model_commands, assets_commands]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit 2, as argparse does
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    json_opt = argparse.ArgumentParser(add_help=False)
    json_opt.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    parser = _Parser(prog="labelhub", description="LabelHub: image datasets through their whole life.")
    parser.add_argument("--version", action="version", version=f"LabelHub {__version__}")
    parser.add_argument("--project", metavar="PATH", help="project folder or its project.labelhub (default: $LABELHUB_PROJECT)")
    parser.add_argument("--user", metavar="NAME", help="acting member (default: $LABELHUB_USER, else the OS user)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMAND_MODULES:
        module.register(sub, json_opt, _Parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        project = Path(args.project) if args.project else None
        return project_commands.run_gui(project, args.user)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        sys.stderr.write(f"labelhub: error: {exc}\n")
        return EXIT_USAGE
    except Cancelled as exc:
        sys.stderr.write(f"labelhub: {exc}\n")
        return EXIT_INTERRUPTED
    except LabelHubError as exc:
        sys.stderr.write(f"labelhub: error: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("labelhub: interrupted\n")
        return EXIT_INTERRUPTED
