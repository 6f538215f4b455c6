"""Python source as logical lines of tokens, to compare code whatever its spacing or names."""

from __future__ import annotations

import io
import keyword
import re
import textwrap
import tokenize
from dataclasses import dataclass

MIN_CONTENT_TOKENS = 4
_IGNORED_NAMES = frozenset({
    "self", "cls", "range", "len", "int", "float", "str", "bool", "list", "tuple", "dict",
    "set", "print", "zip", "enumerate", "min", "max", "sum", "abs", "round", "isinstance",
    "None", "True", "False",
})
_SKIPPED_TOKENS = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT,
                   tokenize.ENCODING, tokenize.ENDMARKER}


@dataclass(frozen=True)
class CodeLine:
    tokens: tuple[tuple[int, str], ...]

    @property
    def compact(self) -> str:
        """The line without spaces or comments."""
        return "".join(text for _, text in self.tokens)

    @property
    def renamed(self) -> str:
        """The line with every local name (not an attribute, not a keyword) as ``V``."""
        out, previous = [], ""
        for kind, text in self.tokens:
            is_local = kind == tokenize.NAME and not keyword.iskeyword(text) and previous != "."
            out.append("V" if is_local else text)
            previous = text
        return " ".join(out)

    @property
    def content(self) -> set[str]:
        """The distinct names, numbers and strings of the line, without keywords and common
        builtins; empty for an import."""
        if not self.tokens or self.tokens[0][1] in ("import", "from"):
            return set()
        return {text for kind, text in self.tokens
                if kind in (tokenize.NAME, tokenize.NUMBER, tokenize.STRING)
                and not keyword.iskeyword(text) and text not in _IGNORED_NAMES}

    @property
    def substantive(self) -> bool:
        return len(self.content) >= MIN_CONTENT_TOKENS


def _tokens(source: str) -> list[tokenize.TokenInfo]:
    return list(tokenize.generate_tokens(io.StringIO(source).readline))


def code_lines(source: str) -> list[CodeLine]:
    """The logical lines of Python ``source`` (IPython magics dropped), as token tuples.

    A fragment that does not tokenize as a whole (a region cut out of an indented block)
    is read line by line.
    """
    source = textwrap.dedent(re.sub(r"^[ \t]*[%!].*$", "", source, flags=re.M))
    try:
        tokens = _tokens(source)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [line for physical in source.splitlines() for line in code_lines(physical.strip())
                ] if "\n" in source.strip() else []
    lines, current = [], []
    for token in tokens:
        if token.type in (tokenize.NEWLINE,) and current:
            lines.append(CodeLine(tuple(current)))
            current = []
        elif token.type not in _SKIPPED_TOKENS and token.type != tokenize.NEWLINE:
            current.append((token.type, token.string))
    if current:
        lines.append(CodeLine(tuple(current)))
    return lines
