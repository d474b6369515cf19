"""What every command module shares: output, opening the project, progress on stderr."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    pass


def group(sub: argparse._SubParsersAction, name: str, help_text: str, parser_class: type) -> argparse._SubParsersAction:
    """The sub-commands of command ``name`` (e.g. ``import``), made on first use, so that
    several modules can add to one command (``import images``, ``import labels``)."""
    groups = sub.__dict__.setdefault("_labelhub_groups", {})
    if name not in groups:
        p = sub.add_parser(name, help=help_text)
        groups[name] = p.add_subparsers(dest=f"{name}_cmd", metavar="WHAT", required=True, parser_class=parser_class)
    return groups[name]


class ProgressBar:
    """A progress bar on stderr: redrawn in place on a terminal, a line per tenth otherwise."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last_tenth = -1
        self._last_draw = 0.0
        self._start = time.monotonic()

    def __call__(self, done: int, total: int, message: str) -> None:
        total = max(total, 1)
        frac = min(max(done / total, 0.0), 1.0)
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw < 0.05 and done < total:
                return
            self._last_draw = now
            width = 30
            filled = int(frac * width)
            bar = "#" * filled + "-" * (width - filled)
            text = f"\r{self.label} [{bar}] {done}/{total} {message[:40]:<40}"
            self.stream.write(text)
            if done >= total:
                self.stream.write("\n")
            self.stream.flush()
        else:
            tenth = int(frac * 10)
            if tenth != self._last_tenth:
                self._last_tenth = tenth
                self.stream.write(f"{self.label}: {done}/{total} ({tenth * 10}%)\n")
                self.stream.flush()


def out(args: argparse.Namespace, data: dict[str, Any], text: str | Callable[[], str]) -> None:
    if args.json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, sort_keys=True) + "\n")
    else:
        sys.stdout.write((text() if callable(text) else text).rstrip("\n") + "\n")


def project_path(args: argparse.Namespace) -> Path:
    path = args.project or os.environ.get("LABELHUB_PROJECT")
    if not path:
        raise UsageError("no project given: use --project PATH or set LABELHUB_PROJECT")
    return Path(path)


def open_project(args: argparse.Namespace, *, backup: bool = False):  # noqa: ANN202
    from labelhub.project import Project

    return Project.open(project_path(args), user=args.user, backup=backup)
