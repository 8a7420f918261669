"""The one sanitizer for text that members, curators or imported datasets control.

Every such string reaches Discord through one of three functions here, chosen by where it lands:

- `md` for places Discord renders as markdown (descriptions, field values, titles, message content):
  every markdown character is escaped one by one (those of headings, quotes and lists where a line
  starts), so no masked link, fence, spoiler bar, heading, subtext, quote, list or mention survives,
  however the text nests them;
- `plain` for places shown literally (embed author and footer, button labels, select options,
  autocomplete choices, modal titles): only invisible and direction-changing characters go;
- `cell` for a column of a monospace table: no backticks (they would close the block), and the
  text is cut and padded by display width, where a CJK character takes two columns.

Two more places, outside Discord: `visible` for the public site (which autoescapes it), and
`spreadsheet_cell` for the CSV export, which spreadsheets open.

Escaping character by character (not by pattern, as `discord.utils.escape_markdown` does) is what
makes it complete: a pattern can miss the second link on a line, a single character cannot.
"""

from __future__ import annotations

import re
import unicodedata

from wcwidth import wcwidth

from bot.parsing import is_invisible

# Characters Discord's markdown gives a meaning anywhere in a line: the escape itself, emphasis,
# underline, strike, code, spoilers, masked links, and mentions or timestamps (<@…>, <t:…>).
INLINE_MARKDOWN = frozenset("\\*_~`|[]<")
# Characters that mean something only where a line starts: headings (#), subtext (-#), quotes (>),
# lists (-, +); and the dot of "1." for numbered lists. Elsewhere they stay as typed.
_LINE_MARK = re.compile(r"(?m)^[ \t]*([#>+\-])")
_NUMBERED_LIST_DOT = re.compile(r"(?m)^[ \t]*\d+(\.)")
_MASS_MENTION = re.compile(r"@(?=everyone|here)", re.IGNORECASE)
ZERO_WIDTH_SPACE = "\u200b"
ELLIPSIS = "…"


def visible(text: str) -> str:
    """Untrusted text for the public site's pages and feeds (which autoescape it): its lines kept,
    nothing invisible or direction-changing, and nothing XML 1.0 cannot hold (a vertical tab or an escape
    character in one name made the whole Atom feed unreadable to feed readers)."""
    return _visible(text, keep_newlines=True)


def _visible(text: str, *, keep_newlines: bool) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\t", " "))
    # Fast path: printable text has no control, format or surrogate character (nor any other
    # category the loop below would drop); most names and texts are, and skip it.
    if (text.replace("\n", "") if keep_newlines else text).isprintable():
        return text
    keep = ("\n",) if keep_newlines else ()
    # The zero-width joiner holds emoji sequences (👩‍💻) together; it changes no direction.
    return "".join(c for c in text if c in keep or c == "\u200d" or not is_invisible(c))


_ESCAPED_ANYWHERE = re.compile("[" + re.escape("".join(sorted(INLINE_MARKDOWN))) + "]")


def _needs_no_escape(text: str) -> bool:
    return (
        _ESCAPED_ANYWHERE.search(text) is None
        and _LINE_MARK.search(text) is None
        and _NUMBERED_LIST_DOT.search(text) is None
        and _MASS_MENTION.search(text) is None
    )


def _pieces(text: str) -> list[str]:
    """The escaped form of `text`, one piece per source character (so a cut never splits an escape)."""
    marks = {m.start(1) for m in _LINE_MARK.finditer(text)} | {m.start(1) for m in _NUMBERED_LIST_DOT.finditer(text)}
    mass = {match.start() for match in _MASS_MENTION.finditer(text)}
    pieces = []
    for index, char in enumerate(text):
        if char in INLINE_MARKDOWN or index in marks:
            pieces.append("\\" + char)
        elif index in mass:
            pieces.append("@" + ZERO_WIDTH_SPACE)
        else:
            pieces.append(char)
    return pieces


def _fit(pieces: list[str], limit: int | None) -> str:
    if limit is None or sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    kept, used = [], 0
    for piece in pieces:
        if used + len(piece) > limit - len(ELLIPSIS):
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept).rstrip() + ELLIPSIS


def md(text: str | None, limit: int | None = None, *, newlines: bool = True) -> str:
    """Untrusted text for a markdown place, escaped, at most `limit` characters once escaped."""
    if not text:
        return ""
    visible = _visible(text, keep_newlines=newlines)
    if not newlines:
        visible = " ".join(visible.split())
    if (limit is None or len(visible) <= limit) and _needs_no_escape(visible):
        return visible  # the common case: nothing to escape, nothing to cut
    return _fit(_pieces(visible), limit)


def plain(text: str | None, limit: int) -> str:
    """Untrusted text for a literal place: one line, nothing invisible, at most `limit` characters."""
    if not text:
        return ""
    one_line = " ".join(_visible(text, keep_newlines=False).split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1].rstrip() + ELLIPSIS


def display_width(text: str) -> int:
    return sum(max(0, wcwidth(c)) for c in text)


def cell(text: str | None, width: int, *, pad: bool = True) -> str:
    """Untrusted text for a monospace column: no backticks or invisibles; cut and padded by display width."""
    one_line = " ".join(_visible(text or "", keep_newlines=False).replace("`", "").split())
    if one_line.isascii():  # printable ASCII (invisibles are gone): one column a character
        if len(one_line) > width:
            one_line = one_line[: width - 1] + ELLIPSIS
        return one_line + (" " * (width - len(one_line)) if pad else "")
    # Combining marks left after NFC take no column: a flood of them would bloat the cell, not widen it.
    shown = [c for c in one_line if wcwidth(c) > 0]
    kept, used = [], 0
    total = sum(wcwidth(c) for c in shown)
    budget = width if total <= width else width - 1
    for char in shown:
        if used + wcwidth(char) > budget:
            break
        kept.append(char)
        used += wcwidth(char)
    if total > width:
        kept.append(ELLIPSIS)
        used += 1
    return "".join(kept) + (" " * (width - used) if pad else "")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """A value for a CSV cell: text a spreadsheet would run as a formula when the file is opened
    (=HYPERLINK(…), @SUM(…), -1+… : a member's impression, exported by an operator) starts with an
    apostrophe, so it is read as text (OWASP's advice for CSV injection). Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
