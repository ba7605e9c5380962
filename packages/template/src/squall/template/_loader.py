"""Template loaders: find templates by name, compile them once, cache them."""

from __future__ import annotations

import os
import posixpath
import threading
from collections.abc import Mapping
from typing import Any

from ._errors import ParseError, TemplateNotFound
from ._template import DEFAULT_AUTOESCAPE, Template
from ._whitespace import WHITESPACE_MODES

__all__ = ["BaseLoader", "DictLoader", "Loader"]


class BaseLoader:
    """Base class for template loaders.

    A loader is needed for `{% include %}` and `{% extends %}`. It compiles
    each template the first time it is loaded and caches it; the cache is
    safe to use from several threads. Subclasses implement `resolve_path`
    and `_create_template`.

    Args:
        autoescape: The escaping function name for the templates it loads,
            or `None` to turn autoescaping off.
        namespace: Extra names available to every template it loads.
        whitespace: The whitespace mode for the templates it loads; by
            default each template's mode follows its file extension.

    Raises:
        ValueError: If `whitespace` is not a known mode.

    Attributes:
        templates: The cache, from resolved name to `Template`.
        lock: The re-entrant lock that guards the cache.
    """

    def __init__(
        self,
        autoescape: str | None = DEFAULT_AUTOESCAPE,
        namespace: dict[str, Any] | None = None,
        whitespace: str | None = None,
    ) -> None:
        if whitespace is not None and whitespace not in WHITESPACE_MODES:
            raise ValueError(
                f"invalid whitespace mode {whitespace!r}; expected 'all', 'single' or 'oneline'"
            )
        self.autoescape = autoescape
        self.namespace: dict[str, Any] = namespace if namespace is not None else {}
        self.whitespace = whitespace
        self.templates: dict[str, Template] = {}
        # Re-entrant: compiling a template loads the templates it includes
        # and extends, from the same thread, while the lock is held.
        self.lock = threading.RLock()
        self._loading: list[str] = []

    def reset(self) -> None:
        """Empties the cache, so templates are read and compiled again."""
        with self.lock:
            self.templates.clear()

    def resolve_path(self, name: str, parent_path: str | None = None) -> str:
        """Turns a name that may be relative to `parent_path` into a cache key.

        Args:
            name: The name as written in the directive or given to `load`.
            parent_path: The name of the template that refers to it, if any.

        Returns:
            The resolved name.
        """
        raise NotImplementedError("BaseLoader subclasses must implement resolve_path")

    def load(self, name: str, parent_path: str | None = None) -> Template:
        """Returns the compiled template called `name`, from the cache if there.

        Args:
            name: The template's name, relative to `parent_path` if given.
            parent_path: The name of the template whose directive names it.

        Returns:
            The `Template`.

        Raises:
            TemplateNotFound: If there is no such template.
            ParseError: If it (or one of its relatives) does not compile, or
                it includes or extends itself.
        """
        name = self.resolve_path(name, parent_path=parent_path)
        with self.lock:
            template = self.templates.get(name)
            if template is None:
                if name in self._loading:
                    chain = " -> ".join([*self._loading[self._loading.index(name) :], name])
                    raise ParseError(f"template {name!r} includes or extends itself ({chain})")
                self._loading.append(name)
                try:
                    template = self._create_template(name)
                finally:
                    self._loading.pop()
                self.templates[name] = template
            return template

    def _create_template(self, name: str) -> Template:
        """Reads and compiles the template `name` (already resolved).

        Raises:
            TemplateNotFound: If there is no such template.
        """
        raise NotImplementedError("BaseLoader subclasses must implement _create_template")


class Loader(BaseLoader):
    """Loads templates from files under a root directory.

    Args:
        root_directory: The directory template names are relative to.
        **kwargs: `autoescape`, `namespace` and `whitespace`, as for
            `BaseLoader`.

    Compatibility: a name that resolves outside `root_directory` (through
    `..` or an absolute path) raises `TemplateNotFound`; Tornado opens it.
    """

    def __init__(self, root_directory: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.root = os.path.abspath(root_directory)

    def resolve_path(self, name: str, parent_path: str | None = None) -> str:
        """Resolves `name` relative to the directory of `parent_path`.

        Names starting with `/`, and names referred to from templates whose
        name starts with `<` or `/`, are taken as they are.
        """
        if (
            parent_path
            and not parent_path.startswith(("<", "/"))
            and not name.startswith("/")
        ):
            parent_dir = os.path.dirname(os.path.join(self.root, parent_path))
            resolved = os.path.abspath(os.path.join(parent_dir, name))
            if resolved.startswith(self.root + os.sep):
                name = resolved[len(self.root) + 1 :]
        return name

    def _create_template(self, name: str) -> Template:
        path = os.path.abspath(os.path.join(self.root, name))
        if not path.startswith(self.root + os.sep):
            raise TemplateNotFound(name, f"{path} is outside the loader's root {self.root}")
        try:
            with open(path, "rb") as f:
                source = f.read()
        except OSError as exc:
            raise TemplateNotFound(name, f"cannot read {path}: {exc.strerror}") from None
        return Template(source, name=name, loader=self)


class DictLoader(BaseLoader):
    """Loads templates from a dictionary of names to sources.

    Args:
        dict: Template names (`/`-separated paths) to template sources.
        **kwargs: `autoescape`, `namespace` and `whitespace`, as for
            `BaseLoader`.
    """

    def __init__(self, dict: Mapping[str, str | bytes], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dict = dict

    def resolve_path(self, name: str, parent_path: str | None = None) -> str:
        """Resolves `name` relative to the directory of `parent_path`."""
        if (
            parent_path
            and not parent_path.startswith(("<", "/"))
            and not name.startswith("/")
        ):
            name = posixpath.normpath(posixpath.join(posixpath.dirname(parent_path), name))
        return name

    def _create_template(self, name: str) -> Template:
        try:
            source = self.dict[name]
        except KeyError:
            raise TemplateNotFound(name, "no such key in the DictLoader's dict") from None
        return Template(source, name=name, loader=self)
