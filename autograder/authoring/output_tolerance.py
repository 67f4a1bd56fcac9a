"""Compare a cell's recomputed text output with its stored one, numbers within a tolerance.

Training amplifies the last bit that another CPU, BLAS or thread count rounds differently into
visible digits, so the notebook regression run cannot ask training results to repeat digit for
digit. A cell that prints such numbers declares how far they may move, in its metadata::

    "tolerance": {"relative": 0.05, "points": 1.0, "counts": {"kept from epoch": 3},
                  "mask": ["best alpha \\S+"]}

and then, in that cell's text outputs only:

- the text around the numbers must be the same (runs of spaces may differ in length, since
  a table pads its columns to the widest number);
- a number printed with ``%`` (an accuracy) may move by ``points`` percentage points;
- a number with a decimal point or an exponent (a loss, a weight) may move by ``relative``
  times its size, or by ``absolute`` where that is more (numbers near zero);
- a whole number (a count, an epoch, a shape) must be equal, unless the text before it on its
  line ends with a match of one of the ``counts`` patterns: then it may move by that many
  (the epoch whose weights training kept, the number of right answers);
- each number keeps its form: the same kind, the same number of decimals;
- text matching a ``mask`` pattern is left out on both sides: what a near tie decides, which
  differs from CPU to CPU (the best alpha of a search whose candidates score alike).

Any number may also move by one unit in its last printed digit (rounding). Cells without the
key are compared exactly, as nbval does.
"""
import math
import re
from dataclasses import dataclass, field

METADATA_KEY = "tolerance"

# A number stands alone: not part of a name (ex1, l1_loss), of a longer number or of base64.
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?%?(?![\w])")
SPACES = re.compile(r"[ \t]+")
MASKED = "<varies by CPU>"
TEXT_OUTPUTS = ("text/plain", "text/html", "text/markdown", "text/latex")


@dataclass(frozen=True)
class Tolerance:
    """How far a cell's printed numbers may move (see the module's docstring)."""
    relative: float = 0.0
    absolute: float = 0.0
    points: float = 0.0
    counts: dict = field(default_factory=dict)
    mask: list = field(default_factory=list)

    @classmethod
    def of(cls, metadata) -> "Tolerance | None":
        """The tolerance a cell's metadata declares, or None (compare exactly)."""
        declared = (metadata or {}).get(METADATA_KEY)
        if declared is None:
            return None
        problem = _problem(declared)
        if problem:
            raise ValueError(f"cell metadata {METADATA_KEY!r}: {problem}")
        return cls(**declared)

    def objection(self, stored: str, computed: str, before: str = "") -> str:
        """Why the printed number ``computed`` may not stand for ``stored``, which follows the
        text ``before`` on its line; '' when it may."""
        if not _same_form(stored, computed):
            return "printed in another form"
        a, b = _value(stored), _value(computed)
        if not (math.isfinite(a) and math.isfinite(b)):
            return "" if stored == computed else "not a finite number"
        gap, rounding = abs(a - b), _last_digit(stored)
        if stored.endswith("%"):
            allowed = self.points + rounding
            return "" if gap <= allowed + 1e-9 else \
                f"moved {gap:.3g} points, allowed {self.points:g}"
        if _form(stored)[0] == "integer":
            allowed = self.count_move(before)
            return "" if gap <= allowed else f"a whole number moved by {gap:g}, allowed {allowed}"
        size = max(abs(a), abs(b))
        allowed = max(self.relative * size, self.absolute, rounding)
        if gap <= allowed * (1 + 1e-9):
            return ""
        return (f"moved {gap / size:.2%} of its size, allowed {self.relative:.2%}"
                + (f" or {self.absolute:g}" if self.absolute else ""))

    def __str__(self):
        parts = [f"{key} {value:g}" for key, value in
                 (("points", self.points), ("relative", self.relative), ("absolute", self.absolute))
                 if value]
        parts += [f"counts {pattern!r} {move}" for pattern, move in self.counts.items()]
        parts += [f"mask {pattern!r}" for pattern in self.mask]
        return ", ".join(parts) or "last digit only"

    def masked(self, text: str) -> str:
        """``text`` with what the ``mask`` patterns match left out."""
        for pattern in self.mask:
            text = re.sub(pattern, MASKED, text)
        return text

    def count_move(self, before: str) -> int:
        """How far a whole number after ``before`` may move (0 unless a pattern matches)."""
        return max((move for pattern, move in self.counts.items()
                    if re.search(f"(?:{pattern})\\s*$", before)), default=0)


def _problem(declared) -> str:
    """What is wrong with a declared tolerance, or ''."""
    if not isinstance(declared, dict):
        return f"must be a mapping, got {declared!r}"
    unknown = set(declared) - set(Tolerance.__dataclass_fields__)
    if unknown:
        return f"unknown keys {sorted(unknown)}; known: {sorted(Tolerance.__dataclass_fields__)}"
    counts, mask = declared.get("counts", {}), declared.get("mask", [])
    if not isinstance(counts, dict):
        return f"counts must map a pattern to a whole number, got {counts!r}"
    if not isinstance(mask, list) or not all(isinstance(p, str) for p in mask):
        return f"mask must be a list of patterns, got {mask!r}"
    amounts = [v for k, v in declared.items() if k not in ("counts", "mask")]
    if any(not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0
           for v in amounts + list(counts.values())):
        return f"needs numbers >= 0: {declared!r}"
    for pattern in [*counts, *mask]:
        try:
            re.compile(pattern)
        except re.error as error:
            return f"{pattern!r} is no regular expression: {error}"
    return ""


@dataclass(frozen=True)
class Move:
    """A printed number that differs from the stored one."""
    stored: str
    computed: str
    before: str  # the text before it on its line
    objection: str  # why the tolerance refuses it; '' when it accepts it

    @property
    def kind(self) -> str:
        """'percent', 'decimal' or 'integer'."""
        return _form(self.stored)[0]

    @property
    def gap(self) -> float:
        """How far it moved: percentage points, a share of its size (a decimal) or units."""
        a, b = _value(self.stored), _value(self.computed)
        if self.kind == "decimal":
            return abs(a - b) / max(abs(a), abs(b)) if a != b else 0.0
        return abs(a - b)

    def __str__(self):
        where = " ".join(self.before.split())[-40:]
        return f"...{where} {self.computed} (stored {self.stored}): {self.objection or 'accepted'}"


@dataclass(frozen=True)
class Comparison:
    """What ``align`` found: the text to compare (see ``align``), each number that moved, and
    whether the text around the numbers differs."""
    text: str
    moves: tuple = ()
    text_differs: bool = False

    @property
    def moved(self) -> int:
        """How many numbers moved within tolerance."""
        return sum(not move.objection for move in self.moves)

    @property
    def problems(self) -> tuple:
        """A line for each difference beyond tolerance."""
        if self.text_differs:
            return ("the text around the numbers differs",)
        return tuple(str(move) for move in self.moves if move.objection)


def align(stored: str, computed: str, tolerance: Tolerance) -> Comparison:
    """Compare ``computed`` with ``stored`` under ``tolerance``.

    When the text around the numbers agrees, the returned text is ``stored`` with the numbers
    that are out of tolerance taken from ``computed``: it equals ``stored`` exactly when the
    whole output is within tolerance. Otherwise ``computed`` comes back unchanged."""
    old_matches, new_numbers = list(NUMBER.finditer(stored)), NUMBER.findall(computed)
    if len(old_matches) != len(new_numbers) or _skeleton(stored) != _skeleton(computed):
        return Comparison(computed, text_differs=True)
    out, moves, start = [], [], 0
    for match, new in zip(old_matches, new_numbers):
        old = match.group()
        out.append(stored[start:match.start()])
        start = match.end()
        if old != new:
            before = stored[stored.rfind("\n", 0, match.start()) + 1:match.start()]
            moves.append(Move(old, new, before, tolerance.objection(old, new, before)))
        out.append(new if old != new and moves[-1].objection else old)
    out.append(stored[start:])
    return Comparison("".join(out), tuple(moves))


def _skeleton(text: str) -> str:
    return SPACES.sub(" ", NUMBER.sub("#", text))


def _form(token: str) -> tuple:
    """A printed number's form: its kind, its number of decimals and its exponent (or None)."""
    mantissa, _, exponent = token.rstrip("%").lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    if token.endswith("%"):
        kind = "percent"
    elif "." in mantissa or exponent:
        kind = "decimal"
    else:
        kind = "integer"
    return kind, decimals, int(exponent) if exponent else None


def _same_form(a: str, b: str) -> bool:
    (kind_a, decimals_a, exponent_a), (kind_b, decimals_b, exponent_b) = _form(a), _form(b)
    return (kind_a, decimals_a, exponent_a is None) == (kind_b, decimals_b, exponent_b is None)


def _value(token: str) -> float:
    return float(token.rstrip("%"))


def _last_digit(token: str) -> float:
    """One unit in the last printed digit of ``token`` (1e-4 for 0.0473, 0.1 for 98.1%)."""
    _, decimals, exponent = _form(token)
    return 10.0 ** (-decimals + (exponent or 0))


def align_outputs(computed: list, stored: list, tolerance: Tolerance) -> list:
    """Align each text of a cell's ``computed`` outputs (nbformat outputs, streams coalesced)
    with the stored output at the same place, both masked, in place; return the comparisons."""
    comparisons = []
    for new, old in zip(computed, stored):
        for new_fields, old_fields, key in _text_fields(new, old):
            old_fields[key] = tolerance.masked(old_fields[key])
            comparison = align(old_fields[key], tolerance.masked(new_fields[key]), tolerance)
            new_fields[key] = comparison.text
            comparisons.append(comparison)
    return comparisons


def _text_fields(computed, stored):
    """(computed holder, stored holder, key) of each text that both outputs have."""
    if computed.get("output_type") != stored.get("output_type"):
        return
    if computed["output_type"] == "stream":
        if computed.get("name") == stored.get("name"):
            yield computed, stored, "text"
    elif "data" in computed and "data" in stored:
        for mime in TEXT_OUTPUTS:
            if mime in computed["data"] and mime in stored["data"]:
                yield computed["data"], stored["data"], mime
