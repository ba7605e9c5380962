"""The template parser: text in, a tree of nodes out.

How this works: the scanner walks the text looking for the three tag
openers `{{`, `{%` and `{#`. Everything between tags becomes a `Text` node
(compressed by the whitespace mode in force at that point). Each `{% %}`
tag is dispatched on its first word, its *operator*. Operators that open a
block push a frame on an explicit stack (no recursion, so deep nesting
cannot overflow the interpreter's stack); `{% end %}` pops it, and the
intermediate operators (`else`, `elif`, `except`, `finally`) start a new
clause in the frame on top. Python code inside tags is not checked here:
the code generator compiles it and reports Python syntax errors at the
template line they came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from ._errors import ParseError
from ._whitespace import WHITESPACE_MODES, filter_whitespace

__all__ = [
    "Apply",
    "Block",
    "Clause",
    "Control",
    "Expr",
    "Include",
    "Node",
    "ParsedFile",
    "Stmt",
    "Text",
    "parse",
]

MAX_DEPTH = 100
"""Deepest nesting of blocks the parser accepts."""


@dataclass(slots=True)
class Text:
    value: str
    line: int


@dataclass(slots=True)
class Expr:
    code: str
    line: int
    raw: bool


@dataclass(slots=True)
class Stmt:
    code: str
    line: int


@dataclass(slots=True)
class Clause:
    header: str
    line: int
    body: list[Node] = field(default_factory=list)


@dataclass(slots=True)
class Control:
    """`if`, `for`, `while` or `try`, with its clauses."""

    kind: str
    line: int
    clauses: list[Clause]


@dataclass(slots=True)
class Apply:
    func: str
    line: int
    body: list[Node] = field(default_factory=list)


@dataclass(slots=True)
class Block:
    name: str
    line: int
    body: list[Node] = field(default_factory=list)


@dataclass(slots=True)
class Include:
    name: str
    line: int


Node = Union[Text, Expr, Stmt, Control, Apply, Block, Include]

UNSET = "\x00unset"
"""Marks a file without an `{% autoescape %}` directive."""


@dataclass(slots=True)
class ParsedFile:
    name: str
    body: list[Node]
    autoescape: str | None
    """The file's `{% autoescape %}` setting, or `UNSET`."""
    extends: tuple[str, int] | None


# Which block kinds each intermediate operator may continue.
_CLAUSE_PARENTS = {
    "else": ("if", "for", "while", "try"),
    "elif": ("if",),
    "except": ("try",),
    "finally": ("try",),
}

_CONTROL = ("if", "for", "while", "try")

_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}"}
_MISSING = {
    "{{": "Missing end expression }}",
    "{%": "Missing end block %}",
    "{#": "Missing end comment #}",
}


def _unquote(value: str) -> str:
    return value.strip("\"'")


class _Frame:
    __slots__ = ("body", "kind", "line", "node")

    def __init__(self, kind: str, line: int, node: Control | Apply | Block, body: list[Node]) -> None:
        self.kind = kind
        self.line = line
        self.node = node
        self.body = body


class _Parser:
    def __init__(self, text: str, name: str, whitespace: str) -> None:
        self.text = text
        self.name = name
        self.whitespace = whitespace
        self.root: list[Node] = []
        self.stack: list[_Frame] = []
        self.autoescape: str | None = UNSET
        self.extends: tuple[str, int] | None = None

    def error(self, message: str, line: int) -> ParseError:
        return ParseError(message, self.name, line)

    @property
    def body(self) -> list[Node]:
        return self.stack[-1].body if self.stack else self.root

    def add_text(self, value: str, line: int) -> None:
        if not value:
            return
        if self.whitespace != "all" and "<pre>" not in value:
            value = filter_whitespace(self.whitespace, value)
        self.body.append(Text(value, line))

    def find_tag(self, pos: int) -> int:
        """The index of the next tag opener at or after `pos`, or -1."""
        text = self.text
        while True:
            curly = text.find("{", pos)
            if curly == -1 or curly + 1 == len(text):
                return -1
            following = text[curly + 1]
            if following == "{" and text.startswith("{", curly + 2):
                # Three or more braces in a row: the innermost pair opens the
                # expression, so `{{{ x }}}` writes a brace on each side.
                pos = curly + 1
                continue
            if following in "{%#":
                return curly
            pos = curly + 1

    def run(self) -> ParsedFile:
        text = self.text
        pos = 0
        line = 1
        while True:
            start = self.find_tag(pos)
            if start == -1:
                self.add_text(text[pos:], line)
                break
            self.add_text(text[pos:start], line)
            line += text.count("\n", pos, start)
            opener = text[start : start + 2]
            if text.startswith("!", start + 2):
                # `{{!`, `{%!` and `{#!` write the opener itself.
                self.body.append(Text(opener, line))
                pos = start + 3
                continue
            end = text.find(_CLOSERS[opener], start + 2)
            if end == -1:
                raise self.error(_MISSING[opener], line)
            contents = text[start + 2 : end]
            pos = end + 2
            tag_line = line
            line += contents.count("\n")
            if opener == "{#":
                continue
            contents = contents.strip()
            if opener == "{{":
                if not contents:
                    raise self.error("Empty expression", tag_line)
                self.body.append(Expr(contents, tag_line, raw=False))
            else:
                if not contents:
                    raise self.error("Empty block tag ({% %})", tag_line)
                self.directive(contents, tag_line)
        if self.stack:
            frame = self.stack[-1]
            raise self.error(f"Missing {{% end %}} block for {frame.kind}", frame.line)
        return ParsedFile(self.name, self.root, self.autoescape, self.extends)

    def push(self, kind: str, line: int, node: Control | Apply | Block, body: list[Node]) -> None:
        if len(self.stack) >= MAX_DEPTH:
            raise self.error(f"blocks nested too deeply (more than {MAX_DEPTH} levels)", line)
        self.body.append(node)
        self.stack.append(_Frame(kind, line, node, body))

    def directive(self, contents: str, line: int) -> None:
        operator, _, suffix = contents.partition(" ")
        suffix = suffix.strip()
        if operator in _CLAUSE_PARENTS:
            self.clause(operator, contents, line)
        elif operator == "end":
            if not self.stack:
                raise self.error("Extra {% end %} block", line)
            self.stack.pop()
        elif operator in _CONTROL:
            clause = Clause(contents, line)
            self.push(operator, line, Control(operator, line, [clause]), clause.body)
        elif operator == "block":
            if not suffix:
                raise self.error("block missing name", line)
            block = Block(suffix, line)
            self.push("block", line, block, block.body)
        elif operator == "apply":
            if not suffix:
                raise self.error("apply missing method name", line)
            apply = Apply(suffix, line)
            self.push("apply", line, apply, apply.body)
        elif operator in ("break", "continue"):
            self.loop_control(operator, line)
        elif operator == "comment":
            pass
        elif operator in ("import", "from"):
            self.body.append(Stmt(contents, line))
        elif operator == "set":
            if not suffix:
                raise self.error("set missing statement", line)
            self.body.append(Stmt(suffix, line))
        elif operator in ("raw", "module"):
            if not suffix:
                raise self.error(f"{operator} missing expression", line)
            code = suffix if operator == "raw" else "_tt_modules." + suffix
            self.body.append(Expr(code, line, raw=True))
        elif operator == "include":
            if not suffix:
                raise self.error("include missing file path", line)
            self.body.append(Include(_unquote(suffix), line))
        elif operator == "extends":
            self.extends_directive(suffix, line)
        elif operator == "autoescape":
            if not suffix:
                raise self.error(
                    "autoescape missing function name (use {% autoescape None %} to turn escaping off)",
                    line,
                )
            self.autoescape = None if suffix == "None" else suffix
        elif operator == "whitespace":
            if suffix not in WHITESPACE_MODES:
                raise self.error(
                    f"invalid whitespace mode {suffix!r}; expected all, single or oneline", line
                )
            self.whitespace = suffix
        else:
            raise self.error(f"unknown operator: {operator!r}", line)

    def clause(self, operator: str, contents: str, line: int) -> None:
        parents = _CLAUSE_PARENTS[operator]
        if not self.stack:
            raise self.error(f"{operator} outside {'/'.join(parents)} block", line)
        frame = self.stack[-1]
        if frame.kind not in parents:
            raise self.error(f"{operator} block cannot be attached to {frame.kind} block", line)
        assert isinstance(frame.node, Control)
        clause = Clause(contents, line)
        frame.node.clauses.append(clause)
        frame.body = clause.body

    def loop_control(self, operator: str, line: int) -> None:
        for frame in reversed(self.stack):
            if frame.kind in ("for", "while"):
                self.body.append(Stmt(operator, line))
                return
            if frame.kind == "apply":
                # The body of an apply block is compiled as its own function.
                raise self.error(f"{operator} inside apply block cannot leave the enclosing loop", line)
        raise self.error(f"{operator} outside for/while block", line)

    def extends_directive(self, suffix: str, line: int) -> None:
        if not suffix:
            raise self.error("extends missing file path", line)
        if self.stack:
            raise self.error(
                f"extends must be at the top level of the template, not inside a {self.stack[-1].kind} block",
                line,
            )
        if self.extends is not None:
            raise self.error(
                f"a template can extend only one other template (already extends {self.extends[0]!r})",
                line,
            )
        self.extends = (_unquote(suffix), line)


def parse(text: str, name: str, whitespace: str) -> ParsedFile:
    """Parses template source into a `ParsedFile`.

    Raises:
        ParseError: On any template syntax error.
    """
    return _Parser(text, name, whitespace).run()
