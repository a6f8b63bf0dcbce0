"""Tokens of the KQL subset the emulator understands (strings, numbers, names, operators, ``//`` comments)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .errors import InvalidQueryError


class Kind(Enum):
    NAME = "name"
    STRING = "string"
    NUMBER = "number"
    SYMBOL = "symbol"
    END = "end"


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str
    position: int
    value: str | float | int | None = None


_SYMBOLS = (
    "=~",
    "!~",
    "==",
    "!=",
    "<=",
    ">=",
    "<",
    ">",
    "(",
    ")",
    ",",
    "|",
    ".",
    "[",
    "]",
    "=",
    "!",
    "~",
    "-",
)


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        if query.startswith("//", i):
            end = query.find("\n", i)
            i = n if end < 0 else end
            continue
        if ch in "'\"" or (ch == "@" and i + 1 < n and query[i + 1] in "'\""):
            tokens.append(_string(query, i))
            i = tokens[-1].position + len(tokens[-1].text)
            continue
        if ch.isdigit():
            j = i
            while j < n and (query[j].isdigit() or query[j] == "."):
                j += 1
            text = query[i:j]
            try:
                number: float | int = float(text) if "." in text else int(text)
            except ValueError as exc:
                raise InvalidQueryError("ParserFailure", text, i) from exc
            tokens.append(Token(Kind.NUMBER, text, i, number))
            i = j
            continue
        if ch.isalpha() or ch in "_$":
            j = i
            while j < n and (query[j].isalnum() or query[j] in "_$"):
                j += 1
            tokens.append(Token(Kind.NAME, query[i:j], i, query[i:j]))
            i = j
            continue
        for symbol in _SYMBOLS:
            if query.startswith(symbol, i):
                tokens.append(Token(Kind.SYMBOL, symbol, i, symbol))
                i += len(symbol)
                break
        else:
            raise InvalidQueryError("ParserFailure", ch, i)
    tokens.append(Token(Kind.END, "", n))
    return tokens


def _string(query: str, start: int) -> Token:
    verbatim = query[start] == "@"
    quote_at = start + 1 if verbatim else start
    quote = query[quote_at]
    i = quote_at + 1
    out: list[str] = []
    while i < len(query):
        ch = query[i]
        if ch == quote:
            return Token(Kind.STRING, query[start : i + 1], start, "".join(out))
        if ch == "\\" and not verbatim and i + 1 < len(query):
            nxt = query[i + 1]
            out.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    raise InvalidQueryError("ParserFailure", query[start:], start)
