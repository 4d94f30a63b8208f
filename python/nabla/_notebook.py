"""A notebook checked end to end: its Markdown cells through nabla's document
reader, and every `%%nabla` code cell as the magic would check it."""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
from typing import Any, Dict, List, Optional, Tuple

from ._types import Diagnostic, FileReport, Location, NablaError, Report, Step, Summary

MAGIC = "%%nabla"


def parse_magic_line(line: str) -> Tuple[str, Dict[str, int]]:
    """`--markdown`, `--latex`, `--seed N`, `--points N` → (kind, options)."""
    kind = "nabla"
    options: Dict[str, int] = {}
    words = shlex.split(line)
    k = 0
    while k < len(words):
        word = words[k]
        if word in ("--markdown", "--md"):
            kind = "markdown"
        elif word in ("--latex", "--tex"):
            kind = "latex"
        elif word in ("--seed", "--points") and k + 1 < len(words):
            try:
                options[word[2:]] = int(words[k + 1])
            except ValueError:
                raise NablaError(f"{word} takes a whole number, not `{words[k + 1]}`") from None
            k += 1
        else:
            raise NablaError(
                f"unknown option `{word}` of %%nabla (use --markdown, --latex, --seed N, --points N)"
            )
        k += 1
    return kind, options


def _source(cell: Dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _moved(loc: Location, file: str, cell: int) -> Location:
    # the magic's own line comes first in the cell
    return Location(file, loc.line + 1 if loc.line > 0 else 1, loc.column, cell)


def _in_cell(report: Report, file: str, cell: int) -> Report:
    files = []
    for f in report.files:
        steps = tuple(dataclasses.replace(s, location=_moved(s.location, file, cell)) for s in f.steps)
        diagnostics = tuple(
            dataclasses.replace(d, location=_moved(d.location, file, cell)) for d in f.diagnostics
        )
        files.append(FileReport(f"{file} (cell {cell})", steps, diagnostics, f.coverage))
    return Report(tuple(files), report.summary)


def _error_report(error: NablaError, file: str, cell: int) -> Report:
    """A cell whose input is wrong: its partial report, or the error alone."""
    if error.report is not None:
        return _in_cell(error.report, file, cell)
    location = Location(file, 1, 1, cell)
    if error.location is not None:
        location = _moved(error.location, file, cell)
    d = Diagnostic("error", error.message, location, error.notes)
    return Report((FileReport(f"{file} (cell {cell})", (), (d,)),), Summary(files=1, errors=1))


def check_notebook_file(path: str, seed: int = 1, points: int = 40) -> Report:
    from . import check, check_file

    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path}")
    with open(path, encoding="utf-8") as f:
        try:
            cells = json.load(f).get("cells", [])
        except json.JSONDecodeError as e:
            raise NablaError(f"`{path}` is not a notebook: {e.msg}", Location(path, e.lineno, e.colno)) from None
    magic_cells = [
        (k + 1, _source(c))
        for k, c in enumerate(cells)
        if c.get("cell_type") == "code" and _source(c).lstrip().startswith(MAGIC)
    ]
    reports: List[Report] = []
    markdown = check_file(path, kind="notebook", seed=seed, points=points, allow_empty=bool(magic_cells))
    reports.append(markdown)
    for number, text in magic_cells:
        first, _, body = text.lstrip().partition("\n")
        try:
            kind, options = parse_magic_line(first[len(MAGIC) :])
            cell_report = check(
                body,
                kind=kind,
                seed=options.get("seed", seed),
                points=options.get("points", points),
                name=path,
                allow_empty=False,
            )
            reports.append(_in_cell(cell_report, path, number))
        except NablaError as error:
            reports.append(_error_report(error, path, number))
    report = Report.merge(reports)
    errors = [d for d in report.diagnostics if d.kind == "error"]
    if errors:
        first_error = errors[0]
        raise NablaError(first_error.message, first_error.location, first_error.notes, report)
    return report


def this_notebook(path: Optional[Any] = None) -> str:
    """The path of the running notebook (saved), or an error saying how to give it."""
    if path is not None:
        return os.fspath(path)
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover
        shell = None
    if shell is not None:
        vscode = shell.user_ns.get("__vsc_ipynb_file__")
        if vscode:
            return str(vscode)
    session = os.environ.get("JPY_SESSION_NAME")
    if session and session.endswith(".ipynb") and os.path.exists(session):
        return session
    raise NablaError(
        "cannot tell which notebook this is; pass its path: nabla.check_this_notebook('hw.ipynb')"
    )
