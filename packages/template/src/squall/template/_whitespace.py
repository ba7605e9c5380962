"""Whitespace modes: how the text between template tags is compressed."""

from __future__ import annotations

import re

__all__ = ["WHITESPACE_MODES", "default_whitespace", "filter_whitespace"]

WHITESPACE_MODES = ("all", "single", "oneline")

_SPACES_RE = re.compile(r"[\t ]+")
_NEWLINE_RUN_RE = re.compile(r"\s*\n\s*")
_ANY_SPACE_RE = re.compile(r"\s+")


def filter_whitespace(mode: str, text: str) -> str:
    """Compresses the whitespace in `text` according to `mode`.

    Args:
        mode: `"all"` keeps the text unchanged; `"single"` replaces each run
            of spaces and tabs with one space and each run of whitespace that
            contains a newline with one newline; `"oneline"` replaces every
            run of whitespace, newlines included, with one space.
        text: The text to compress.

    Returns:
        The compressed text.

    Raises:
        ValueError: If `mode` is not one of the three modes.
    """
    if mode == "all":
        return text
    if mode == "single":
        return _NEWLINE_RUN_RE.sub("\n", _SPACES_RE.sub(" ", text))
    if mode == "oneline":
        return _ANY_SPACE_RE.sub(" ", text)
    raise ValueError(f"invalid whitespace mode {mode!r}; expected 'all', 'single' or 'oneline'")


def default_whitespace(name: str) -> str:
    """The whitespace mode a template gets from its name alone.

    HTML and JavaScript files (`.html`, `.js`) get `"single"`; everything
    else (including templates built from strings) gets `"all"`.
    """
    if name.endswith(".html") or name.endswith(".js"):
        return "single"
    return "all"
