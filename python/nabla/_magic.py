"""The `%%nabla` cell magic: the cell is a `.nabla` derivation, or with
`--markdown` (`--latex`) a text whose math is checked; the report is the
cell's value, shown as an HTML table."""

from __future__ import annotations

import sys
from typing import Any, Optional

from ._notebook import parse_magic_line
from ._types import NablaError, Report


def nabla_cell(line: str, cell: str) -> Optional[Report]:
    from . import check

    try:
        kind, options = parse_magic_line(line)
        return check(cell, kind=kind, name="<cell>", **options)
    except NablaError as error:
        # a located message instead of a traceback; the rest of the cell still shows
        where = ""
        if error.location is not None:
            where = f"line {error.location.line}:{error.location.column}: "
        notes = "".join(f"\n  = {n}" for n in error.notes)
        print(f"error: {where}{error.message}{notes}", file=sys.stderr)
        return error.report


def register(ipython: Any) -> None:
    ipython.register_magic_function(nabla_cell, magic_kind="cell", magic_name="nabla")
