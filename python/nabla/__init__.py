"""nabla: a proof checker and calculator for the math of machine learning.

    >>> import nabla
    >>> nabla.check("var x : real\\nclaim exp(2*x) = 2*exp(x)").steps[0].verdict
    <Verdict.REFUTED: 'refuted'>

`check`, `check_file` and `check_notebook` return a `Report` of typed `Step`s;
`simplify` and `diff` an `Expression` (text, LaTeX, SymPy); `shape` the nets of
a text. Bad input raises `NablaError` with its location. In Jupyter,
`%load_ext nabla` gives the `%%nabla` cell magic. The work is done by nabla's
Rust library in this process (the extension module `nabla._nabla`).
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Optional, Union

from . import _nabla
from ._types import (
    Counterexample,
    Coverage,
    CrossCheckError,
    Derivative,
    Diagnostic,
    Explored,
    Expression,
    FileReport,
    Layer,
    Location,
    NablaError,
    Net,
    Report,
    Shapes,
    SkippedFormula,
    Step,
    Summary,
    Verdict,
    parse_value,
)

__version__ = _nabla.version()

__all__ = [
    "check",
    "check_file",
    "check_notebook",
    "check_this_notebook",
    "simplify",
    "diff",
    "shape",
    "Report",
    "FileReport",
    "Step",
    "Verdict",
    "Counterexample",
    "Explored",
    "Coverage",
    "SkippedFormula",
    "Diagnostic",
    "Location",
    "Summary",
    "Expression",
    "Derivative",
    "Shapes",
    "Net",
    "Layer",
    "NablaError",
    "CrossCheckError",
    "parse_value",
]

PathLike = Union[str, "os.PathLike[str]"]

_KINDS = ("nabla", "markdown", "latex", "notebook")


def _defs_text(defs: Union[None, str, "os.PathLike[str]"]) -> Optional[str]:
    """`defs` is `.nabla` text, or the path of a `.nabla` file (a `Path`, or a
    string naming a file that exists and holds no newline)."""
    if defs is None:
        return None
    if isinstance(defs, os.PathLike) or ("\n" not in defs and defs.endswith(".nabla")):
        with open(defs, encoding="utf-8") as f:
            return f.read()
    return defs


def _raise_error(data: Dict[str, Any], report: Optional[Report] = None) -> None:
    e = data["error"]
    location = None
    if e.get("line") is not None:
        location = Location(e.get("file", "<input>"), e["line"], e.get("column", 1), e.get("cell"))
    cls = CrossCheckError if e.get("origin") == "cross-check" else NablaError
    raise cls(e["message"], location, tuple(e.get("notes", ())), report)


def _report(raw: str) -> Report:
    data = json.loads(raw)
    if "error" in data:
        _raise_error(data)
    report = Report._from_json(data)
    errors = [d for f in report.files for d in f.diagnostics if d.kind == "error"]
    if errors:
        first = errors[0]
        # a path that could not be read has no text to point into
        unreadable = first.message.startswith(("no such file", "cannot read", "no .nabla files"))
        location = None if unreadable else first.location
        raise NablaError(first.message, location, first.notes, report)
    return report


def check(
    text: str,
    kind: str = "nabla",
    defs: Union[None, str, "os.PathLike[str]"] = None,
    seed: int = 1,
    points: int = 40,
    *,
    name: str = "<text>",
    time_budget: float = 10.0,
    file_budget: float = 300.0,
    allow_empty: bool = False,
) -> Report:
    """Checks `text`: a derivation (`kind="nabla"`, the language of `.nabla`
    files) or a document whose math is read (`"markdown"`, `"latex"`).

    `defs` are declarations (`var`, `dim`, `def`, `net`) visible in the text: a
    `.nabla` text or the path of a file. `seed` and `points` are the sampler's
    (as `nabla check --seed --points`). Raises `NablaError` on a parse or name
    error (its `report` holds the results of the rest of the text).
    """
    if kind not in _KINDS:
        raise NablaError(f"unknown kind `{kind}`: use one of {', '.join(_KINDS)}")
    raw = _nabla.check_text(
        text,
        kind,
        name,
        _defs_text(defs),
        int(seed),
        int(points),
        float(time_budget),
        float(file_budget),
        bool(allow_empty),
    )
    return _report(raw)


def check_file(
    path: PathLike,
    kind: Optional[str] = None,
    defs: Union[None, str, "os.PathLike[str]"] = None,
    seed: int = 1,
    points: int = 40,
    *,
    time_budget: float = 10.0,
    file_budget: float = 300.0,
    allow_empty: bool = False,
) -> Report:
    """Checks a file or folder as `nabla check PATH` does: `.nabla` files as
    derivations, `.md`/`.tex`/`.ipynb` as documents (`kind` forces a reading).
    A notebook's `%%nabla` cells are checked by `check_notebook`, not here."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path}")
    raw = _nabla.check_paths(
        [path],
        kind,
        _defs_text(defs),
        int(seed),
        int(points),
        float(time_budget),
        float(file_budget),
        bool(allow_empty),
    )
    return _report(raw)


def check_notebook(path: PathLike, seed: int = 1, points: int = 40) -> Report:
    """Checks a Jupyter notebook end to end: the math of its Markdown cells
    (as `nabla check hw.ipynb`) and every `%%nabla` code cell. Locations carry
    the cell's number (1-based, counting every cell) and the line in it."""
    from ._notebook import check_notebook_file

    return check_notebook_file(os.fspath(path), seed=seed, points=points)


def check_this_notebook(path: Optional[PathLike] = None, seed: int = 1, points: int = 40) -> Report:
    """Checks the notebook this code runs in, as last saved (save first).

    The notebook is found from VS Code's `__vsc_ipynb_file__` or Jupyter's
    `JPY_SESSION_NAME`; where neither is set, pass its path."""
    from ._notebook import this_notebook

    return check_notebook(this_notebook(path), seed=seed, points=points)


def simplify(expr: str, defs: Union[None, str, "os.PathLike[str]"] = None) -> Expression:
    """The display form of `expr` (unknown names are real variables)."""
    data = json.loads(_nabla.simplify(expr, _defs_text(defs)))
    if "error" in data:
        _raise_error(data)
    return Expression._from_json(data["result"])


def diff(
    expr: str,
    wrt: str,
    defs: Union[None, str, "os.PathLike[str]"] = None,
    order: int = 1,
) -> Derivative:
    """`d expr / d wrt` (`order` times), simplified, after a finite-difference
    cross-check (raises `CrossCheckError` if it disagrees). For a vector or
    matrix `wrt` declared in `defs`, one entry of the gradient."""
    if order < 1:
        raise NablaError(f"order must be at least 1, not {order}")
    data = json.loads(_nabla.diff(expr, wrt, int(order), _defs_text(defs)))
    if "error" in data:
        _raise_error(data)
    r = data["result"]
    return Derivative(
        r["text"],
        r["ascii"],
        r["latex"],
        r["sympy"],
        r["nodes"],
        indices=tuple(data["indices"]),
        head=data["head"],
        matrix_form=data.get("matrix_form"),
        valid_where=tuple((t, l) for t, l in data["valid_where"]),
        cross_checked=data["cross_checked"],
    )


def shape(text: str) -> Shapes:
    """The shapes, parameter counts and mult-adds of every `net` in `text` (a
    `.nabla` text), as `nabla shape` prints them and as data."""
    data = json.loads(_nabla.shape(text, "<text>"))
    if "error" in data:
        _raise_error(data)
    return Shapes._from_json(data)


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext nabla`: registers the `%%nabla` cell magic."""
    from ._magic import register

    register(ipython)
