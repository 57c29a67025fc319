"""A1-notation parsing and formatting the way the Sheets API v4 understands it.

Supported forms (case-insensitive, ``$`` markers ignored):

* ``Sheet1`` / ``'My Sheet'`` - the whole sheet
* ``A1`` / ``A1:C3`` - a range on the first sheet (when there is no ``!``)
* ``Sheet1!A1:C3``, ``'It''s'!B2`` - quoted names with doubled apostrophes
* open-ended forms: ``A:C``, ``1:3``, ``A2:Z`` (to the last row), ``A1:1`` (to the last column)
* reversed corners (``B2:A1``) are normalised.

Indices in :class:`A1Range` are 0-based; ``end_*`` are exclusive and ``None`` means
"unbounded" (up to the grid size).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_COLUMN_LETTERS = 3  # Google's widest column is ZZZ (18278)

_ENDPOINT_RE = re.compile(r"^\$?([A-Za-z]*)\$?([0-9]*)$")
_SIMPLE_TITLE_RE = re.compile(r"^[^\W\d]\w*$")
_CELL_LIKE_RE = re.compile(r"^[A-Za-z]{1,3}[0-9]+$")
_R1C1_LIKE_RE = re.compile(r"^[Rr][0-9]*[Cc][0-9]*$")


class RangeParseError(ValueError):
    """The text is not valid A1 notation."""


@dataclass(frozen=True)
class A1Range:
    """A parsed A1 range. ``sheet`` is ``None`` when the text named no sheet."""

    sheet: str | None
    start_row: int | None = None
    start_col: int | None = None
    end_row: int | None = None
    end_col: int | None = None

    @property
    def whole_sheet(self) -> bool:
        return (
            self.start_row is None
            and self.start_col is None
            and self.end_row is None
            and self.end_col is None
        )


def col_to_letters(index: int) -> str:
    """0-based column index -> letters (0 -> A, 26 -> AA)."""
    if index < 0:
        raise ValueError(f"negative column index {index}")
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def letters_to_col(letters: str) -> int:
    """Column letters -> 0-based index (A -> 0, AA -> 26)."""
    n = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z":
            raise RangeParseError(letters)
        n = n * 26 + (ord(ch) - ord("A") + 1)
    return n - 1


def cell_name(row: int, col: int) -> str:
    """0-based (row, col) -> ``A1``."""
    return f"{col_to_letters(col)}{row + 1}"


def quote_title(title: str) -> str:
    """Quote a sheet title the way Google does in the ranges it returns.

    Plain identifiers (``Sheet1``) stay bare; anything with spaces or punctuation, or
    that could be read as a cell reference (``D3``), is wrapped in single quotes.
    """
    if (
        _SIMPLE_TITLE_RE.match(title)
        and not _CELL_LIKE_RE.match(title)
        and not _R1C1_LIKE_RE.match(title)
    ):
        return title
    return "'" + title.replace("'", "''") + "'"


def format_range(title: str, start_row: int, start_col: int, end_row: int, end_col: int) -> str:
    """Bounded 0-based half-open range -> ``Sheet1!A1:B2`` (``Sheet1!A1`` for one cell)."""
    first = cell_name(start_row, start_col)
    if end_row - start_row == 1 and end_col - start_col == 1:
        return f"{quote_title(title)}!{first}"
    return f"{quote_title(title)}!{first}:{cell_name(end_row - 1, end_col - 1)}"


def _parse_endpoint(text: str) -> tuple[int | None, int | None]:
    """``A1`` -> (row, col); ``A`` -> (None, col); ``1`` -> (row, None)."""
    m = _ENDPOINT_RE.match(text)
    if not m or (not m.group(1) and not m.group(2)):
        raise RangeParseError(text)
    letters, digits = m.group(1), m.group(2)
    if len(letters) > MAX_COLUMN_LETTERS:
        raise RangeParseError(text)
    col = letters_to_col(letters) if letters else None
    row = None
    if digits:
        row = int(digits) - 1
        if row < 0:
            raise RangeParseError(text)
    return row, col


def parse_cells(text: str) -> tuple[int | None, int | None, int | None, int | None]:
    """Parse the part after ``!``; returns (start_row, start_col, end_row, end_col)."""
    parts = text.split(":")
    if len(parts) == 1:
        row, col = _parse_endpoint(parts[0])
        if row is None or col is None:  # a lone "A" or "3" is not a range
            raise RangeParseError(text)
        return row, col, row + 1, col + 1
    if len(parts) != 2:
        raise RangeParseError(text)
    r1, c1 = _parse_endpoint(parts[0])
    r2, c2 = _parse_endpoint(parts[1])
    # A column-only start ("A:C5") starts at the first row; a row-only start ("1:C5")
    # starts at the first column.
    start_row = r1 if r1 is not None else 0
    start_col = c1 if c1 is not None else 0
    end_row = r2 + 1 if r2 is not None else None
    end_col = c2 + 1 if c2 is not None else None
    if r1 is None and r2 is not None and c2 is None:
        raise RangeParseError(text)  # "A:3" is not valid
    if c1 is None and c2 is not None and r2 is None:
        raise RangeParseError(text)  # "1:C" is not valid
    if end_row is not None and end_row <= start_row:
        start_row, end_row = end_row - 1, start_row + 1
    if end_col is not None and end_col <= start_col:
        start_col, end_col = end_col - 1, start_col + 1
    return start_row, start_col, end_row, end_col


def parse_a1(text: str) -> A1Range:
    """Parse an A1 range (already URL-decoded). Raises :class:`RangeParseError`."""
    text = text.strip()
    if not text:
        raise RangeParseError(text)
    if text.startswith("'"):
        i = 1
        title_chars: list[str] = []
        while True:
            if i >= len(text):
                raise RangeParseError(text)  # unterminated quote
            ch = text[i]
            if ch == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    title_chars.append("'")
                    i += 2
                    continue
                i += 1
                break
            title_chars.append(ch)
            i += 1
        title = "".join(title_chars)
        rest = text[i:]
        if not rest:
            return A1Range(sheet=title)
        if not rest.startswith("!"):
            raise RangeParseError(text)
        return A1Range(title, *parse_cells(rest[1:]))
    if "!" in text:
        title, _, cells = text.rpartition("!")
        if not title:
            raise RangeParseError(text)
        if not cells:
            return A1Range(sheet=title)
        return A1Range(title, *parse_cells(cells))
    try:
        return A1Range(None, *parse_cells(text))
    except RangeParseError:
        return A1Range(sheet=text)
