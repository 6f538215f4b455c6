"""Text a student's kernel wrote, made safe to show: it is data, never layout.

A kernel can print anything: terminal escape sequences, carriage returns, lines that look
like the class summary's. Before such text reaches the summary, the JSON or the feedback it
goes through :func:`kernel_text` (one line, escaped, bounded) or :func:`kernel_block`
(several lines, escaped, bounded).
"""

from __future__ import annotations

import re

ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # IPython's coloured tracebacks: dropped, not escaped
LINE_CHARS = 300
BLOCK_CHARS = 20_000


def _escape(text: str, keep_newlines: bool) -> str:
    out = []
    for char in ANSI_COLOUR.sub("", text):
        code = ord(char)
        if char == "\n" and keep_newlines or char == "\t":
            out.append(char)
        elif code < 0x20 or 0x7F <= code < 0xA0 or char in "\u2028\u2029\u200e\u200f\u202a\u202b\u202c\u202d\u202e":
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def kernel_text(text: object, limit: int = LINE_CHARS) -> str:
    """``text`` on one line: control characters escaped (``\\n`` too), cut to ``limit`` characters."""
    line = _escape(str(text), keep_newlines=False)
    return line if len(line) <= limit else f"{line[:limit]}... [{len(line) - limit} characters cut]"


def kernel_block(text: object, limit: int = BLOCK_CHARS) -> str:
    """``text`` with its lines kept, other control characters escaped, cut to ``limit`` characters."""
    block = _escape(str(text), keep_newlines=True)
    return block if len(block) <= limit else f"{block[:limit]}\n... [{len(block) - limit} characters cut]\n"
