"""Typed results: reports, steps, counterexamples, expressions and nets.

Built from the JSON the extension returns (the schema of docs/json.md); every
exact number nabla prints becomes a `Fraction`, every decimal a `float`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

__all__ = [
    "Verdict",
    "Location",
    "Diagnostic",
    "Counterexample",
    "Explored",
    "Step",
    "SkippedFormula",
    "Coverage",
    "FileReport",
    "Summary",
    "Report",
    "Expression",
    "Derivative",
    "Layer",
    "Net",
    "Shapes",
    "NablaError",
    "CrossCheckError",
    "parse_value",
]


class Verdict(str, Enum):
    """What nabla says of a claim or step; compares equal to its word."""

    PROVED = "proved"
    CHECKED = "checked"
    REFUTED = "refuted"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value

    @property
    def holds(self) -> bool:
        """Proved or checked."""
        return self in (Verdict.PROVED, Verdict.CHECKED)

    @property
    def mark(self) -> str:
        return {"proved": "✓", "checked": "✓", "refuted": "✗", "unknown": "?"}[self.value]


_RATIONAL = re.compile(r"^-?\d+(/\d+)?$")
_DECIMAL = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_MATRIX = re.compile(r"^\d+×\d+ \[(.*)\]$", re.S)

Value = Union[Fraction, float, List[Any], str]


def parse_value(text: str) -> Value:
    """A value as nabla prints it: `3/4` → Fraction, `0.4683` → float,
    `[1, 0, -1/2]` → a list, `2×3 [a, b, c; d, e, f]` → a list of rows; anything
    else (`a random smooth map (seed 7)`, `no derivative`) stays text."""
    t = text.strip()
    if _RATIONAL.match(t):
        return Fraction(t)
    if _DECIMAL.match(t):
        return float(t)
    m = _MATRIX.match(t)
    if m:
        return [[parse_value(x) for x in row.split(",")] for row in m.group(1).split(";")]
    if t.startswith("[") and t.endswith("]") and "[" not in t[1:-1]:
        inner = t[1:-1].strip()
        return [parse_value(x) for x in inner.split(",")] if inner else []
    return text


def _side(text: str, exact: Optional[bool]) -> Union[Fraction, float, None]:
    """A counterexample's side: a Fraction only where nabla says it is exact,
    a float for an enclosure's midpoint, None for no number."""
    if exact is None:
        return None
    v = parse_value(text)
    if not isinstance(v, (Fraction, float)):
        return None
    # an exact side's text is its value: read it exactly, never through a float
    return Fraction(text.strip()) if exact else float(v)


@dataclass(frozen=True)
class Location:
    """Where a result or message is: 1-based line and column; in a notebook,
    `cell` is the cell's 1-based position and the line counts inside it."""

    file: str
    line: int
    column: int
    cell: Optional[int] = None

    def __str__(self) -> str:
        cell = f"cell {self.cell}:" if self.cell is not None else ""
        return f"{self.file}:{cell}{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """A message about the input: `kind` is `error` (bad input), `failure` (a
    finding such as "nothing checkable") or `warning`."""

    kind: str
    message: str
    location: Location
    notes: Tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.location}: {self.kind}: {self.message}"


class NablaError(Exception):
    """Bad input: a parse or name error, an unreadable file, a wrong argument.

    `location` says where (None when the message is about no place in a text);
    `report` is the report of the rest of the input when there was one.
    """

    def __init__(
        self,
        message: str,
        location: Optional[Location] = None,
        notes: Tuple[str, ...] = (),
        report: Optional["Report"] = None,
    ):
        self.message = message
        self.location = location
        self.notes = tuple(notes)
        self.report = report
        where = f"{location}: " if location is not None else ""
        super().__init__(where + message)

    @property
    def line(self) -> Optional[int]:
        return self.location.line if self.location else None

    @property
    def column(self) -> Optional[int]:
        return self.location.column if self.location else None


class CrossCheckError(NablaError):
    """`diff` found its derivative disagreeing with central differences."""


@dataclass(frozen=True)
class Counterexample:
    """A point where the two sides certainly differ. `values` maps each name to
    its exact value (`Fraction`, a list for a vector, rows for a matrix, or the
    text of a sampled function). `lhs` and `rhs` are each side's value there: a
    `Fraction` only when nabla computed it exactly (`lhs_exact` is True), a
    `float` when it is the midpoint of a rigorous enclosure (`lhs_exact` is
    False: the sides certainly differ, the digits are approximate, and `σ(40)`
    is the float 1.0, not `Fraction(1)`), None when the side is no number
    ("no derivative", "3 entries"; `lhs_exact` is None). The texts as nabla
    printed them are always kept."""

    values: Dict[str, Value]
    lhs_text: str
    rhs_text: str
    note: Optional[str] = None
    lhs_exact: Optional[bool] = None
    rhs_exact: Optional[bool] = None

    @property
    def lhs(self) -> Union[Fraction, float, None]:
        return _side(self.lhs_text, self.lhs_exact)

    @property
    def rhs(self) -> Union[Fraction, float, None]:
        return _side(self.rhs_text, self.rhs_exact)

    def __str__(self) -> str:
        at = ", ".join(f"{k} = {_show(v)}" for k, v in self.values.items())
        out = f"left = {self.lhs_text}, right = {self.rhs_text}"
        if at:
            out = f"at {at}: {out}"
        if self.note:
            out += f" ({self.note})"
        return out


def _show(v: Value) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    return str(v)


@dataclass(frozen=True)
class Explored:
    """What the agreeing sample points of a `checked` verdict covered."""

    summary: str
    magnitudes: Optional[Tuple[int, int]]
    sizes: Optional[Tuple[int, int]]
    boundaries: int
    functions: Tuple[str, ...]


@dataclass(frozen=True)
class Step:
    """One checked claim or derivation step."""

    location: Location
    kind: str
    """`claim` or `step`"""
    name: Optional[str]
    number: Optional[int]
    """the step's number in its chain (None for a claim)"""
    text: str
    verdict: Verdict
    expected: Optional[str]
    passed: bool
    seed: int
    trace: Tuple[str, ...] = ()
    """proved: the rewrite rules applied"""
    counterexample: Optional[Counterexample] = None
    reason: Optional[str] = None
    """unknown: why"""
    points: Optional[int] = None
    """checked: how many sample points agreed"""
    explored: Optional[Explored] = None
    context: Tuple[str, ...] = ()
    """in a document: the conditions, values and assumptions the step was read under"""
    document: bool = False
    """the step comes from a Markdown or LaTeX text (its text is LaTeX)"""
    mathml: Optional[str] = None
    """the step as MathML from nabla's own reading of it (what the HTML table shows)"""

    @property
    def line(self) -> int:
        return self.location.line

    @property
    def title(self) -> str:
        label = f'"{self.name}"' if self.name else ""
        if self.kind == "step":
            return f"step {self.number} of {label}".strip() if label else f"step {self.number}"
        return f"claim {label}".strip()

    @property
    def detail(self) -> str:
        """One line about the verdict, as the text report writes it."""
        if self.verdict is Verdict.PROVED:
            return f"proved symbolically ({len(self.trace)} rewrite steps)"
        if self.verdict is Verdict.CHECKED:
            explored = self.explored.summary if self.explored else ""
            return f"agrees at {self.points} sample points, seed {self.seed}; explored {explored}"
        if self.verdict is Verdict.REFUTED and self.counterexample:
            return f"{self.counterexample}; seed {self.seed}"
        return self.reason or ""

    def __str__(self) -> str:
        return f"{self.verdict.mark} {self.verdict.value:<8} {self.location}  {self.text}"

    def _repr_html_(self) -> str:
        from ._html import steps_table

        return steps_table([self])

    @staticmethod
    def _from_json(file: str, r: Dict[str, Any], document: bool) -> "Step":
        c = r.get("counterexample")
        counterexample = None
        if c is not None:
            counterexample = Counterexample(
                values={a["name"]: parse_value(a["value"]) for a in c["assignment"]},
                lhs_text=c["lhs"],
                rhs_text=c["rhs"],
                note=c.get("note"),
                lhs_exact=c.get("lhs_exact"),
                rhs_exact=c.get("rhs_exact"),
            )
        e = r.get("explored")
        explored = None
        if e is not None:
            explored = Explored(
                summary=e["summary"],
                magnitudes=tuple(e["magnitudes"]) if e.get("magnitudes") else None,
                sizes=tuple(e["sizes"]) if e.get("sizes") else None,
                boundaries=e.get("boundaries", 0),
                functions=tuple(e.get("functions", ())),
            )
        return Step(
            location=Location(file, r["line"], r["column"], r.get("cell")),
            kind=r["kind"],
            name=r.get("name"),
            number=r.get("step"),
            text=r["text"],
            verdict=Verdict(r["verdict"]),
            expected=r.get("expected"),
            passed=r["passed"],
            seed=r["seed"],
            trace=tuple(r.get("trace", ())),
            counterexample=counterexample,
            reason=r.get("reason"),
            points=r.get("points"),
            explored=explored,
            context=tuple(r.get("context", ())),
            document=document,
            mathml=r.get("mathml"),
        )


@dataclass(frozen=True)
class SkippedFormula:
    """A formula of a document whose equalities were not judged, and why."""

    location: Location
    cls: str
    reason: str
    equalities: int
    text: str


@dataclass(frozen=True)
class Coverage:
    """How much of a document's math was read."""

    equalities: int
    judged: int
    skipped: int
    formulas: Tuple[SkippedFormula, ...]


@dataclass(frozen=True)
class FileReport:
    file: str
    steps: Tuple[Step, ...]
    diagnostics: Tuple[Diagnostic, ...]
    coverage: Optional[Coverage] = None

    @property
    def errors(self) -> Tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.kind == "error")

    @staticmethod
    def _from_json(f: Dict[str, Any]) -> "FileReport":
        file = f["file"]
        document = "coverage" in f
        diagnostics = tuple(
            Diagnostic(
                kind=d.get("kind", d["severity"]),
                message=d["message"],
                location=Location(file, d["line"], d["column"], d.get("cell")),
                notes=tuple(d.get("notes", ())),
            )
            for d in f["diagnostics"]
        )
        coverage = None
        c = f.get("coverage")
        if c is not None:
            coverage = Coverage(
                equalities=c["equalities"],
                judged=c["judged"],
                skipped=c["skipped"],
                formulas=tuple(
                    SkippedFormula(
                        location=Location(file, s["line"], s["column"], s.get("cell")),
                        cls=s["class"],
                        reason=s["reason"],
                        equalities=s["equalities"],
                        text=s["text"],
                    )
                    for s in c["formulas"]
                ),
            )
        steps = tuple(Step._from_json(file, r, document) for r in f["results"])
        return FileReport(file, steps, diagnostics, coverage)


@dataclass(frozen=True)
class Summary:
    files: int = 0
    proved: int = 0
    checked: int = 0
    refuted: int = 0
    unknown: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0

    def __str__(self) -> str:
        return (
            f"{self.proved} proved, {self.checked} checked, {self.refuted} refuted, "
            f"{self.unknown} unknown; {self.passed} as expected, {self.failed} failed; "
            f"{self.errors} input errors in {self.files} file{'' if self.files == 1 else 's'}"
        )


@dataclass(frozen=True)
class Report:
    """What `check`, `check_file` and `check_notebook` return: one `FileReport`
    per file (or notebook cell), every step in `steps`. Renders as an HTML
    table in Jupyter."""

    files: Tuple[FileReport, ...]
    summary: Summary = field(default_factory=Summary)

    @property
    def steps(self) -> List[Step]:
        return [s for f in self.files for s in f.steps]

    @property
    def diagnostics(self) -> List[Diagnostic]:
        return [d for f in self.files for d in f.diagnostics]

    @property
    def passed(self) -> bool:
        """Every step as expected, no input error and no failure (what exit code 0 means)."""
        return all(s.passed for s in self.steps) and not any(
            d.kind in ("error", "failure") for d in self.diagnostics
        )

    @property
    def refuted(self) -> List[Step]:
        return [s for s in self.steps if s.verdict is Verdict.REFUTED]

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, k: int) -> Step:
        return self.steps[k]

    def __repr__(self) -> str:
        return f"<nabla.Report: {self.summary}>"

    def __str__(self) -> str:
        lines = [str(s) for s in self.steps]
        lines += [str(d) for d in self.diagnostics if d.kind != "warning"]
        lines.append(f"summary: {self.summary}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from ._html import report_html

        return report_html(self)

    @staticmethod
    def _from_json(data: Dict[str, Any]) -> "Report":
        files = tuple(FileReport._from_json(f) for f in data["files"])
        return Report(files, Summary(**data["summary"]))

    @staticmethod
    def merge(reports: List["Report"]) -> "Report":
        files = tuple(f for r in reports for f in r.files)
        totals: Dict[str, int] = {}
        for r in reports:
            for k, v in r.summary.__dict__.items():
                totals[k] = totals.get(k, 0) + v
        return Report(files, Summary(**totals))


@dataclass(frozen=True)
class Expression:
    """A result of `simplify`: the same expression as Unicode text, ASCII that
    nabla reads back, LaTeX, and a string `sympy.sympify` reads."""

    text: str
    ascii: str
    latex: str
    sympy: str
    nodes: int

    def __str__(self) -> str:
        return self.text

    def _repr_latex_(self) -> str:
        return f"${self.latex}$"

    def to_sympy(self) -> Any:
        """The expression as a SymPy object (needs sympy installed)."""
        import sympy

        return sympy.sympify(self.sympy)

    @staticmethod
    def _from_json(r: Dict[str, Any]) -> "Expression":
        return Expression(r["text"], r["ascii"], r["latex"], r["sympy"], r["nodes"])


@dataclass(frozen=True)
class Derivative(Expression):
    """A result of `diff`, checked against central differences before it is
    returned. For a vector or matrix variable it is one entry of the gradient
    at free `indices`; `valid_where` lists where it is the derivative (each
    condition as text and LaTeX), off kinks nothing rules out."""

    indices: Tuple[str, ...] = ()
    head: str = ""
    matrix_form: Optional[str] = None
    valid_where: Tuple[Tuple[str, str], ...] = ()
    cross_checked: int = 0

    def __str__(self) -> str:
        out = f"{self.head} = {self.text}" if self.indices else self.text
        if self.valid_where:
            out += ", for " + " and ".join(t for t, _ in self.valid_where)
        if self.matrix_form:
            out += f"\nmatrix form: {self.matrix_form}"
        return out


@dataclass(frozen=True)
class Layer:
    name: str
    kind: str
    output: Tuple[Union[int, str], ...]
    params: Union[int, str]
    mult_adds: Union[int, str]
    trainable: bool
    formulas: Tuple[str, ...]


def _count(text: str) -> Union[int, str]:
    """A size or count: an int when it is a number, the formula text otherwise."""
    return int(text) if re.match(r"^-?\d+$", text) else text


@dataclass(frozen=True)
class Net:
    name: str
    input: Tuple[Union[int, str], ...]
    layers: Tuple[Layer, ...]
    total_params: Union[int, str]
    trainable_params: Union[int, str]
    mult_adds: Union[int, str]
    table: str

    def __str__(self) -> str:
        return self.table

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)


@dataclass(frozen=True)
class Shapes:
    """What `shape` returns: every net of the text, with its summary table."""

    nets: Tuple[Net, ...]
    warnings: Tuple[str, ...] = ()

    def __getitem__(self, name: str) -> Net:
        for net in self.nets:
            if net.name == name:
                return net
        raise KeyError(name)

    def __str__(self) -> str:
        return "\n".join(n.table for n in self.nets)

    def _repr_html_(self) -> str:
        from ._html import escape

        return "".join(f"<pre>{escape(n.table)}</pre>" for n in self.nets)

    @staticmethod
    def _from_json(data: Dict[str, Any]) -> "Shapes":
        nets = tuple(
            Net(
                name=n["name"],
                input=tuple(_count(x) for x in n["input"]),
                layers=tuple(
                    Layer(
                        name=l["name"],
                        kind=l["kind"],
                        output=tuple(_count(x) for x in l["output"]),
                        params=_count(l["params"]),
                        mult_adds=_count(l["mult_adds"]),
                        trainable=l["trainable"],
                        formulas=tuple(l["formulas"]),
                    )
                    for l in n["layers"]
                ),
                total_params=_count(n["total_params"]),
                trainable_params=_count(n["trainable_params"]),
                mult_adds=_count(n["mult_adds"]),
                table=n["table"],
            )
            for n in data["nets"]
        )
        return Shapes(nets, tuple(w["message"] for w in data.get("warnings", ())))
