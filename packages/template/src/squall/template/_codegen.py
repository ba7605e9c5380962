"""The code generator: a parsed template (and its relatives) in, Python out.

How this works: a template compiles to one function, `_tt_execute`, that
appends `str` pieces to a list and returns the UTF-8 encoding of their join.
Speed comes from three choices:

- Runs of text and expressions that nothing can interrupt are written as a
  single f-string append (`_tt_append(f'<td>{_tt_e((key))}</td>')`), so a
  row of a table costs one call to `append` instead of one per piece.
- The hot helpers (`append`, the escaper) are bound to locals once per
  render, and the default escaper takes any value, so an escaped expression
  is a single call.
- `{% include %}` and `{% block %}` are inlined at compile time; there is no
  call or lookup per include at render time.

Inside `{% try %}` blocks pieces are appended one by one, so that output
written before an exception is kept exactly as it would be by a sequence of
separate writes. Each generated line records the template line it came
from (`locations`), which turns Python syntax errors into `ParseError`s at
the right place and annotates runtime exceptions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._errors import ParseError, TemplateNotFound
from ._parser import Apply, Block, Control, Expr, Include, Node, Stmt, Text

if TYPE_CHECKING:
    from ._loader import BaseLoader
    from ._template import Template

__all__ = ["Location", "describe", "generate"]

Location = tuple[str, int, str]
"""Where a generated line came from: (template name, line, include chain)."""


def describe(location: Location) -> str:
    """Formats a `Location` for a message."""
    name, line, chain = location
    return f"template {name}, line {line}{chain}"


def _fits_one_line(code: str) -> bool:
    """Whether `code` can be wrapped in parentheses on one line.

    A comment or a line break would swallow or split the closing
    parentheses; such expressions get a statement of their own.
    """
    return "#" not in code and "\n" not in code


class _Piece:
    """Pending output: text (`wrap` is None) or an expression.

    `wrap` is the start of the call that converts the expression's value,
    such as `_tt_e(`; the code generator adds the argument and `)`.
    """

    __slots__ = ("location", "value", "wrap")

    def __init__(self, value: str, wrap: str | None, location: Location) -> None:
        self.value = value
        self.wrap = wrap
        self.location = location


def _normalize_newlines(code: str) -> str:
    return code.replace("\r\n", "\n").replace("\r", "\n")


class _Output:
    """The lines of one generated function and the helpers it uses."""

    __slots__ = ("lines", "uses_e", "uses_s", "uses_x")

    def __init__(self) -> None:
        self.lines: list[tuple[int, str, Location]] = []
        self.uses_e = False
        self.uses_s = False
        self.uses_x = False

    def prologue(self, indent: int, location: Location) -> list[tuple[int, str, Location]]:
        lines = [
            (indent, "_tt_buffer = []", location),
            (indent, "_tt_append = _tt_buffer.append", location),
        ]
        if self.uses_e:
            lines.append((indent, "_tt_e = _tt_escaper(xhtml_escape)", location))
        if self.uses_s:
            lines.append((indent, "_tt_s = _tt_to_str", location))
        if self.uses_x:
            lines.append((indent, "_tt_x = _tt_apply_escape", location))
        return lines


class _Generator:
    def __init__(self, template: Template) -> None:
        self.template = template
        self.loader: BaseLoader | None = template.loader
        self.out = _Output()
        self.indent = 1
        self.group: list[_Piece] = []
        self.no_merge = 0
        self.apply_count = 0
        self.named_blocks: dict[str, tuple[Block, Template]] = {}
        self.include_suffix = ""

    # -- loading relatives --------------------------------------------------

    def load(self, name: str, parent: Template, line: int, what: str) -> Template:
        if self.loader is None:
            raise ParseError(
                f"{what} {name!r} needs a template loader; create the template with "
                "Loader(...).load() or DictLoader(...).load()",
                parent.name,
                line,
            )
        try:
            return self.loader.load(name, parent.name)
        except TemplateNotFound as exc:
            if exc.filename is None:
                raise TemplateNotFound(exc.template_name, exc.detail, parent.name, line) from None
            raise
        except ParseError as exc:
            if exc.filename is None:
                exc.filename, exc.lineno = parent.name, line
            raise

    def load_include(self, node: Include, parent: Template) -> Template:
        included = self.load(node.name, parent, node.line, "include")
        if included.file.extends is not None:
            raise ParseError(
                f"cannot include {included.name!r}: it extends {included.file.extends[0]!r}, and "
                "an included template is inlined without a parent; include a template "
                "without {% extends %} instead",
                parent.name,
                node.line,
            )
        return included

    def collect_blocks(self, body: list[Node], owner: Template) -> None:
        for node in body:
            if isinstance(node, Block):
                self.named_blocks[node.name] = (node, owner)
                self.collect_blocks(node.body, owner)
            elif isinstance(node, Control):
                for clause in node.clauses:
                    self.collect_blocks(clause.body, owner)
            elif isinstance(node, Apply):
                self.collect_blocks(node.body, owner)
            elif isinstance(node, Include):
                included = self.load(node.name, owner, node.line, "include")
                self.collect_blocks(included.file.body, included)

    # -- writing ------------------------------------------------------------

    def location(self, template: Template, line: int) -> Location:
        return (template.name, line, self.include_suffix)

    def write(self, code: str, location: Location) -> None:
        first, *rest = _normalize_newlines(code).split("\n")
        self.out.lines.append((self.indent, first, location))
        # Continuation lines are kept verbatim (they may sit inside a
        # triple-quoted string); they still need a location each.
        for extra in rest:
            self.out.lines.append((-1, extra, location))

    def add_piece(self, piece: _Piece) -> None:
        self.group.append(piece)
        if self.no_merge:
            self.flush()

    def write_value(self, target: str, piece: _Piece) -> None:
        """Writes `target = <the piece's converted value>`."""
        code, wrap = piece.value, piece.wrap
        if _fits_one_line(code):
            self.write(f"{target} = {wrap}({code}))", piece.location)
        else:
            self.write("_tt_tmp = " + code, piece.location)
            self.write(f"{target} = {wrap}_tt_tmp)", piece.location)

    def flush(self) -> None:
        group = self.group
        if not group:
            return
        self.group = []
        pieces: list[_Piece] = []
        for piece in group:
            if piece.wrap is None and pieces and pieces[-1].wrap is None:
                pieces[-1] = _Piece(pieces[-1].value + piece.value, None, pieces[-1].location)
            else:
                pieces.append(piece)
        if len(pieces) == 1:
            piece = pieces[0]
            if piece.wrap is None:
                self.write(f"_tt_append({piece.value!r})", piece.location)
            elif _fits_one_line(piece.value):
                self.write(f"_tt_append({piece.wrap}({piece.value})))", piece.location)
            else:
                self.write_value("_tt_tmp", piece)
                self.write("_tt_append(_tt_tmp)", piece.location)
            return
        # Evaluate the expressions in order into temporaries, then append one
        # f-string of text and temporaries (which cannot fail).
        parts: list[str] = []
        count = 0
        for piece in pieces:
            if piece.wrap is None:
                parts.append(piece.value.replace("{", "{{").replace("}", "}}"))
            else:
                target = f"_tt_t{count}"
                count += 1
                self.write_value(target, piece)
                parts.append("{" + target + "}")
        self.write("_tt_append(f" + repr("".join(parts)) + ")", pieces[0].location)

    # -- nodes --------------------------------------------------------------

    def body(self, nodes: list[Node], template: Template) -> None:
        for node in nodes:
            self.node(node, template)

    def node(self, node: Node, template: Template) -> None:
        if isinstance(node, Text):
            self.add_piece(_Piece(node.value, None, self.location(template, node.line)))
        elif isinstance(node, Expr):
            self.expression(node, template)
        elif isinstance(node, Stmt):
            self.flush()
            self.write(node.code, self.location(template, node.line))
        elif isinstance(node, Control):
            self.control(node, template)
        elif isinstance(node, Apply):
            self.apply(node, template)
        elif isinstance(node, Block):
            self.block(node, template)
        else:
            self.include(node, template)

    def expression(self, node: Expr, template: Template) -> None:
        autoescape = template.autoescape
        if node.raw or autoescape is None:
            self.out.uses_s = True
            wrap = "_tt_s("
        elif autoescape == "xhtml_escape":
            self.out.uses_e = True
            wrap = "_tt_e("
        else:
            self.out.uses_x = True
            wrap = f"_tt_x({autoescape}, "
        code = _normalize_newlines(node.code)
        self.add_piece(_Piece(code, wrap, self.location(template, node.line)))

    def indented_body(self, nodes: list[Node], template: Template, location: Location) -> None:
        self.indent += 1
        before = len(self.out.lines)
        self.body(nodes, template)
        self.flush()
        if len(self.out.lines) == before:
            self.write("pass", location)
        self.indent -= 1

    def control(self, node: Control, template: Template) -> None:
        self.flush()
        if node.kind == "try":
            self.no_merge += 1
        for clause in node.clauses:
            location = self.location(template, clause.line)
            self.write(clause.header + ":", location)
            self.indented_body(clause.body, template, location)
        if node.kind == "try":
            self.no_merge -= 1

    def apply(self, node: Apply, template: Template) -> None:
        self.flush()
        location = self.location(template, node.line)
        name = f"_tt_apply{self.apply_count}"
        self.apply_count += 1
        self.write(f"def {name}():", location)
        outer, outer_no_merge = self.out, self.no_merge
        # The body becomes its own function: a fresh buffer, its own locals,
        # and merging is safe again (an exception leaves the whole function).
        self.out, self.no_merge = _Output(), 0
        self.indent += 1
        self.body(node.body, template)
        self.flush()
        self.write("return ''.join(_tt_buffer)", location)
        inner = self.out
        self.indent -= 1
        self.out, self.no_merge = outer, outer_no_merge
        self.out.lines.extend(inner.prologue(self.indent + 1, location))
        self.out.lines.extend(inner.lines)
        self.out.uses_s = True
        self.write("_tt_tmp = " + node.func, location)
        self.write(f"_tt_append(_tt_s(_tt_tmp({name}())))", location)

    def block(self, node: Block, template: Template) -> None:
        # The last definition of a name in a depth-first walk (ancestors
        # first) wins, so a winning block's nested blocks were registered
        # after it; a block can therefore never end up containing itself.
        block, owner = self.named_blocks[node.name]
        self.body(block.body, owner)

    def include(self, node: Include, template: Template) -> None:
        included = self.load_include(node, template)
        outer_suffix = self.include_suffix
        self.include_suffix = f" (included from {template.name}, line {node.line}){outer_suffix}"
        self.body(included.file.body, included)
        self.include_suffix = outer_suffix

    # -- the whole template -------------------------------------------------

    def run(self) -> tuple[str, list[Location]]:
        template = self.template
        chain = [template]
        while chain[-1].file.extends is not None:
            parent_name, line = chain[-1].file.extends
            chain.append(self.load(parent_name, chain[-1], line, "extends"))
        for ancestor in reversed(chain):
            self.collect_blocks(ancestor.file.body, ancestor)
        root = chain[-1]
        self.body(root.file.body, root)
        self.flush()
        self.write("return ''.join(_tt_buffer).encode('utf-8')", self.location(template, 0))
        start = self.location(template, 0)
        lines = [(0, "def _tt_execute():", start)]
        lines += self.out.prologue(1, start)
        lines += self.out.lines
        source: list[str] = []
        locations: list[Location] = []
        for indent, code, location in lines:
            source.append(code if indent < 0 else "    " * indent + code)
            locations.append(location)
        return "\n".join(source) + "\n", locations


def generate(template: Template) -> tuple[str, list[Location]]:
    """Generates the Python source of `template`'s render function.

    Returns:
        The source, and for each of its lines a description of the template
        line it came from.

    Raises:
        ParseError: If a relative cannot be loaded or blocks nest in a loop.
    """
    return _Generator(template).run()
