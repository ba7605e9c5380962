"""UI modules: reusable page components with their own CSS and JavaScript.

A template calls ``{% module Entry(entry) %}``, which the template engine
turns into ``_tt_modules.Entry(entry)``. `UIModuleNamespace` resolves the name
to the `UIModule` class from the ``ui_modules`` setting, makes one instance per
handler, and returns its rendered HTML. After the page is rendered,
`insert_module_resources` adds each used module's CSS to ``<head>`` and its
JavaScript before ``</body>``, once per module however often it was used.

Relative ``css_files``/``javascript_files`` paths go through
``static_url`` (so they carry ``?v=`` versions); paths starting with ``/``
and full URLs are used as they are.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from squall import escape

if TYPE_CHECKING:
    from ._handler import RequestHandler

__all__ = [
    "UIModule",
    "TemplateModule",
    "UIModuleNamespace",
    "bind_ui_method",
    "load_ui_modules",
    "load_ui_methods",
    "insert_module_resources",
]


class UIModule:
    """Base class of UI modules; override `render` (and the resource methods).

    Args:
        handler: the handler rendering the page.
    """

    def __init__(self, handler: RequestHandler) -> None:
        self.handler = handler
        self.request = handler.request
        self.ui = handler.ui
        self.locale = handler.locale

    @property
    def current_user(self) -> Any:
        """The handler's current user."""
        return self.handler.current_user

    def render(self, *args: Any, **kwargs: Any) -> str | bytes:
        """Return the module's HTML."""
        raise NotImplementedError(f"{type(self).__name__} must define render()")

    def embedded_javascript(self) -> str | None:
        """JavaScript to include once at the end of the page."""
        return None

    def javascript_files(self) -> Iterable[str] | str | None:
        """Script URLs (or static paths) to include at the end of the page."""
        return None

    def embedded_css(self) -> str | None:
        """CSS to include once in the page's ``<head>``."""
        return None

    def css_files(self) -> Iterable[str] | str | None:
        """Stylesheet URLs (or static paths) to include in ``<head>``."""
        return None

    def html_head(self) -> str | None:
        """HTML to put at the end of ``<head>``."""
        return None

    def html_body(self) -> str | None:
        """HTML to put at the end of ``<body>``."""
        return None

    def render_string(self, path: str, **kwargs: Any) -> bytes:
        """Render a template with the handler's namespace (see `RequestHandler.render_string`)."""
        return self.handler.render_string(path, **kwargs)


class _LinkifyModule(UIModule):
    def render(self, text: str, **kwargs: Any) -> str:
        return escape.linkify(text, **kwargs)


class _XsrfFormHtmlModule(UIModule):
    def render(self) -> str:
        return self.handler.xsrf_form_html()


class TemplateModule(UIModule):
    """``{% module Template("file.html", **kwargs) %}``: a template as a module.

    The template sees the global namespace plus its keyword arguments, and
    may call ``set_resources(embedded_css=..., javascript_files=..., ...)``.
    """

    def __init__(self, handler: RequestHandler) -> None:
        super().__init__(handler)
        self._resources: list[dict[str, Any]] = []
        self._resources_by_path: dict[str, dict[str, Any]] = {}

    def render(self, path: str, **kwargs: Any) -> bytes:
        """Render template ``path`` with ``kwargs`` (plus ``set_resources``).

        Raises:
            ValueError: ``set_resources`` got an unknown resource kind, or
                the same template set different resources on another use
                in this page.
        """

        resources: dict[str, Any] = {}

        def set_resources(**given: Any) -> str:
            unknown = set(given) - _RESOURCE_KINDS
            if unknown:
                raise ValueError(f"set_resources got unknown resource kinds {sorted(unknown)}")
            resources.update(given)
            return ""

        html = self.render_string(path, set_resources=set_resources, **kwargs)
        known = self._resources_by_path.get(path)
        if known is None:
            # Each template's resources go into the page once, however many
            # times the template module is used.
            self._resources_by_path[path] = resources
            self._resources.append(resources)
        elif known != resources:
            raise ValueError(
                f"set_resources called with different resources for the same template "
                f"{path!r}; pass what varies as template arguments instead"
            )
        return html

    def _joined(self, key: str) -> str | None:
        parts = [r[key] for r in self._resources if key in r]
        return "\n".join(parts) if parts else None

    def _listed(self, key: str) -> list[str] | None:
        files: list[str] = []
        for r in self._resources:
            value = r.get(key)
            if isinstance(value, str):
                files.append(value)
            elif value:
                files.extend(value)
        return files or None

    def embedded_javascript(self) -> str | None:
        return self._joined("embedded_javascript")

    def embedded_css(self) -> str | None:
        return self._joined("embedded_css")

    def html_head(self) -> str | None:
        return self._joined("html_head")

    def html_body(self) -> str | None:
        return self._joined("html_body")

    def javascript_files(self) -> list[str] | None:
        return self._listed("javascript_files")

    def css_files(self) -> list[str] | None:
        return self._listed("css_files")


_RESOURCE_KINDS = frozenset(
    ["embedded_javascript", "javascript_files", "embedded_css", "css_files", "html_head", "html_body"]
)

BUILTIN_UI_MODULES: dict[str, type[UIModule]] = {
    "linkify": _LinkifyModule,
    "xsrf_form_html": _XsrfFormHtmlModule,
    "Template": TemplateModule,
}


def load_ui_modules(spec: Any, into: dict[str, type[UIModule]]) -> None:
    """Add the UI modules of a module object, a list of them, or a dict."""
    if isinstance(spec, types.ModuleType):
        for name in dir(spec):
            value = getattr(spec, name)
            if isinstance(value, type) and issubclass(value, UIModule) and value is not UIModule:
                into[name] = value
    elif isinstance(spec, Mapping):
        for name, value in spec.items():
            if not (isinstance(value, type) and issubclass(value, UIModule)):
                raise TypeError(f"ui_modules[{name!r}] must be a UIModule subclass, not {value!r}")
            into[name] = value
    elif isinstance(spec, (list, tuple)):
        for item in spec:
            load_ui_modules(item, into)
    elif spec:
        raise TypeError(f"ui_modules must be a module, a dict or a list, not {type(spec).__name__}")


def load_ui_methods(spec: Any, into: dict[str, Callable[..., Any]]) -> None:
    """Add the UI methods of a module object, a list of them, or a dict."""
    if isinstance(spec, types.ModuleType):
        for name in dir(spec):
            value = getattr(spec, name)
            if callable(value) and not name.startswith("_") and not name[0].isupper():
                into[name] = value
    elif isinstance(spec, Mapping):
        into.update(spec)
    elif isinstance(spec, (list, tuple)):
        for item in spec:
            load_ui_methods(item, into)
    elif spec:
        raise TypeError(f"ui_methods must be a module, a dict or a list, not {type(spec).__name__}")


def bind_ui_method(handler: RequestHandler, method: Callable[..., Any]) -> Callable[..., Any]:
    """Bind a UI method so templates call it without passing the handler."""

    def bound(*args: Any, **kwargs: Any) -> Any:
        return method(handler, *args, **kwargs)

    return bound


class UIModuleNamespace:
    """The ``_tt_modules`` object templates use to call UI modules."""

    def __init__(self, handler: RequestHandler, modules: Mapping[str, type[UIModule]]) -> None:
        self._handler = handler
        self._modules = modules

    def __getitem__(self, name: str) -> Callable[..., Any]:
        cls = self._modules[name]
        handler = self._handler

        def render(*args: Any, **kwargs: Any) -> str | bytes:
            active = handler.__dict__.setdefault("_active_modules", {})
            module = active.get(name)
            if module is None:
                module = active[name] = cls(handler)
            rendered: str | bytes = module.render(*args, **kwargs)
            return rendered

        return render

    def __getattr__(self, name: str) -> Callable[..., Any]:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no UI module named {name!r} (see the ui_modules setting)") from None


def _as_list(value: Iterable[str] | str | None) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def insert_module_resources(
    handler: RequestHandler, html: bytes, modules: Iterable[UIModule]
) -> bytes:
    """Insert the CSS and JavaScript of ``modules`` into a rendered page."""
    js_embed: list[str] = []
    js_files: list[str] = []
    css_embed: list[str] = []
    css_files: list[str] = []
    heads: list[str] = []
    bodies: list[str] = []
    for module in modules:
        for text, into in (
            (module.embedded_javascript(), js_embed),
            (module.embedded_css(), css_embed),
            (module.html_head(), heads),
            (module.html_body(), bodies),
        ):
            if text:
                into.append(text)
        for path in _as_list(module.javascript_files()):
            if path not in js_files:
                js_files.append(path)
        for path in _as_list(module.css_files()):
            if path not in css_files:
                css_files.append(path)

    def url(path: str) -> str:
        if path.startswith("/") or "://" in path:
            return path
        return handler.static_url(path)

    head_parts: list[str] = []
    for path in css_files:
        head_parts.append(f'<link href="{escape.xhtml_escape(url(path))}" type="text/css" rel="stylesheet"/>')
    if css_embed:
        head_parts.append('<style type="text/css">\n' + "\n".join(css_embed) + "\n</style>")
    head_parts.extend(heads)
    body_parts: list[str] = []
    for path in js_files:
        body_parts.append(f'<script src="{escape.xhtml_escape(url(path))}" type="text/javascript"></script>')
    if js_embed:
        body_parts.append(
            '<script type="text/javascript">\n//<![CDATA[\n'
            + "\n".join(js_embed)
            + "\n//]]>\n</script>"
        )
    body_parts.extend(bodies)
    if head_parts:
        at = html.rfind(b"</head>")
        if at != -1:
            html = html[:at] + "".join(head_parts).encode("utf-8") + b"\n" + html[at:]
    if body_parts:
        at = html.rfind(b"</body>")
        if at != -1:
            html = html[:at] + "".join(body_parts).encode("utf-8") + b"\n" + html[at:]
    return html
