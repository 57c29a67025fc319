"""Cell values: how input is stored (RAW / USER_ENTERED) and how it is rendered back.

A cell keeps what was entered (``entered``: a string, number or bool - formulas as their
text) plus the derived ``effective`` value and, for inputs whose look Google remembers
(dates, ``1,234.5``, ``50%``), a ``display`` string used for FORMATTED_VALUE.

Formulas are not a spreadsheet engine: constant arithmetic (``=4/2``, ``= 1 / 1024``) is
evaluated; any other formula's effective value is its own text.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Scalar = str | int | float | bool

SERIAL_EPOCH = dt.datetime(1899, 12, 30)

_NUMBER_RE = re.compile(
    r"^(?P<sign>[+-])?(?P<cur>\$)?(?P<int>\d{1,3}(?:,\d{3})+|\d*)(?P<frac>\.\d+)?"
    r"(?P<exp>[eE][+-]?\d+)?(?P<pct>%)?$"
)
_ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_US_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


@dataclass
class Cell:
    """A non-empty cell."""

    entered: Scalar
    effective: Scalar
    formula: str | None = None
    display: str | None = None
    is_date: bool = False


def format_number(value: float | int) -> str:
    """Render a number the way Sheets' automatic format does (closely enough)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.15g}"
    return text.replace("e+", "E+").replace("e-", "E-")


def _to_serial(moment: dt.datetime) -> float | int:
    delta = moment - SERIAL_EPOCH
    serial = delta.days + delta.seconds / 86400
    return int(serial) if serial == int(serial) else serial


def _parse_date(text: str) -> tuple[float | int, str] | None:
    m = _ISO_DATE_RE.match(text)
    order = "ymd"
    if not m:
        m = _US_DATE_RE.match(text)
        order = "mdy"
    if not m:
        return None
    g = m.groups()
    if order == "ymd":
        year, month, day = int(g[0]), int(g[1]), int(g[2])
    else:
        month, day, year = int(g[0]), int(g[1]), int(g[2])
    hour = int(g[3]) if g[3] else 0
    minute = int(g[4]) if g[4] else 0
    second = int(g[5]) if g[5] else 0
    try:
        moment = dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    display = f"{year:04d}-{month:02d}-{day:02d}" if order == "ymd" else f"{month}/{day}/{year}"
    if g[3]:
        display += f" {hour}:{minute:02d}:{second:02d}"
    return _to_serial(moment), display


def _parse_number(text: str) -> tuple[float | int, str | None] | None:
    m = _NUMBER_RE.match(text)
    if not m or not (m.group("int") or m.group("frac")):
        return None
    digits = m.group("int").replace(",", "") or "0"
    literal = digits + (m.group("frac") or "") + (m.group("exp") or "")
    number: float | int = float(literal) if m.group("frac") or m.group("exp") else int(digits)
    if m.group("sign") == "-":
        number = -number
    if m.group("pct"):
        number = number / 100
    if isinstance(number, float) and number == int(number) and not m.group("pct"):
        number = int(number) if abs(number) < 1e15 else number
    if isinstance(number, int) and abs(number) >= 10**15:
        number = float(number)  # Sheets keeps 15 significant digits
    keeps_look = "," in m.group("int") or m.group("pct") or m.group("cur")
    return number, (text if keeps_look else None)


_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def _eval_arith(node: ast.AST) -> float | int:
    if isinstance(node, ast.Expression):
        return _eval_arith(node.body)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        value = node.value
        assert isinstance(value, int | float)
        return value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _eval_arith(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        result = _BINOPS[type(node.op)](_eval_arith(node.left), _eval_arith(node.right))
        if not isinstance(result, int | float):
            raise ValueError("not a number")
        return result
    raise ValueError("unsupported formula")


def evaluate_formula(formula: str) -> Scalar:
    """Evaluate constant arithmetic; other formulas evaluate to their own text."""
    expr = formula[1:].strip().replace("^", "**")
    try:
        value = _eval_arith(ast.parse(expr, mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError, TypeError):
        return formula
    if isinstance(value, float) and value == int(value) and abs(value) < 1e15:
        return int(value)
    return value


def make_cell(value: Any, input_option: str) -> Cell | None:
    """Turn one input value into a Cell (``None`` means "empty the cell").

    ``input_option`` is ``RAW`` or ``USER_ENTERED``. Callers skip JSON ``null`` themselves
    (Google leaves such cells unchanged).
    """
    if isinstance(value, bool):
        return Cell(entered=value, effective=value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)  # the API echoes 42.0 as 42
    if isinstance(value, int | float):
        return Cell(entered=value, effective=value)
    if not isinstance(value, str):
        value = str(value)
    if value == "":
        return None
    if input_option == "RAW":
        return Cell(entered=value, effective=value)
    # USER_ENTERED: parse as if typed into the UI
    if value.startswith("'"):
        text = value[1:]
        return Cell(entered=text, effective=text) if text else None
    if value.startswith("=") and len(value) > 1:
        return Cell(entered=value, effective=evaluate_formula(value), formula=value)
    stripped = value.strip()
    upper = stripped.upper()
    if upper in ("TRUE", "FALSE"):
        flag = upper == "TRUE"
        return Cell(entered=flag, effective=flag)
    number = _parse_number(stripped)
    if number is not None:
        return Cell(entered=number[0], effective=number[0], display=number[1])
    date = _parse_date(stripped)
    if date is not None:
        return Cell(entered=date[0], effective=date[0], display=date[1], is_date=True)
    return Cell(entered=value, effective=value)


def render(cell: Cell, value_render: str, date_render: str) -> Scalar:
    """Render a cell for ``valueRenderOption`` / ``dateTimeRenderOption``."""
    if value_render == "FORMULA" and cell.formula is not None:
        return cell.formula
    if value_render in ("UNFORMATTED_VALUE", "FORMULA"):
        if cell.is_date and date_render == "FORMATTED_STRING" and cell.display is not None:
            return cell.display
        return cell.effective
    return formatted(cell)


def formatted(cell: Cell) -> str:
    if cell.display is not None:
        return cell.display
    value = cell.effective
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return format_number(value)
    return value


def extended_value(value: Scalar) -> dict[str, Any]:
    """A value as a Sheets ``ExtendedValue`` (used in grid data)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int | float):
        return {"numberValue": value}
    return {"stringValue": value}


def cell_from_extended(value: dict[str, Any]) -> Cell | None:
    """ExtendedValue (from updateCells / repeatCell) -> Cell."""
    if "formulaValue" in value:
        formula = str(value["formulaValue"])
        return Cell(entered=formula, effective=evaluate_formula(formula), formula=formula)
    if "numberValue" in value:
        number = value["numberValue"]
        return Cell(entered=number, effective=number)
    if "boolValue" in value:
        flag = bool(value["boolValue"])
        return Cell(entered=flag, effective=flag)
    if "stringValue" in value:
        text = str(value["stringValue"])
        return Cell(entered=text, effective=text) if text else None
    return None
