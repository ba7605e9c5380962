"""Template, UI, locale and current-user methods of `RequestHandler`.

A mixin so the handler module stays readable; `RequestHandler` is the only
class that uses it.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import os
import sys
from typing import TYPE_CHECKING, Any, cast

from squall import escape
from squall import locale as _locale_mod
from squall.template import xhtml_escape as _template_xhtml_escape

if TYPE_CHECKING:
    from squall.httputil import HTTPServerRequest
    from squall.template import BaseLoader

    from ._application import Application
    from ._handler import RequestHandler

__all__ = ["RenderMixin"]


class RenderMixin:
    """Templates, UI modules, static URLs, locale and the current user."""

    if TYPE_CHECKING:
        request: HTTPServerRequest
        application: Application
        _finished: bool

        @property
        def settings(self) -> dict[str, Any]: ...

        def require_setting(self, name: str, feature: str = ...) -> None: ...

        def finish(self, chunk: str | bytes | dict[str, Any] | None = None) -> asyncio.Future[None]: ...

        def xsrf_form_html(self) -> str: ...

        def reverse_url(self, name: str, *args: Any) -> str: ...

    def render(self, template_name: str, **kwargs: Any) -> asyncio.Future[None]:
        """Render a template and finish the response with it.

        UI modules used by the template add their CSS and JavaScript to the
        page (in ``<head>`` and before ``</body>``).

        Returns:
            The future of `finish`.
        """
        if self._finished:
            raise RuntimeError("cannot render() after finish()")
        html = self.render_string(template_name, **kwargs)
        modules = self.__dict__.get("_active_modules")
        if modules:
            from ._uimodule import insert_module_resources

            html = insert_module_resources(cast("RequestHandler", self), html, modules.values())
        return self.finish(html)

    def render_string(self, template_name: str, **kwargs: Any) -> bytes:
        """Render a template to bytes with the handler's template namespace.

        Templates are found in `get_template_path` (by default the
        ``template_path`` setting, else the directory of the calling file).
        """
        template_path = self.get_template_path()
        if not template_path:
            template_path = _caller_directory()
        loader = self.application._template_loader_for(cast("RequestHandler", self), template_path)
        template = loader.load(template_name)
        namespace = self.get_template_namespace()
        namespace.update(kwargs)
        return template.generate(**namespace)

    def get_template_namespace(self) -> dict[str, Any]:
        """The names available to templates; override to add more."""
        # squall.template's own escaper gives the same output as
        # squall.escape.xhtml_escape, and the compiled template recognises it
        # and calls it directly instead of through a type-checking wrapper.
        namespace: dict[str, Any] = {
            "escape": _template_xhtml_escape,
            "xhtml_escape": _template_xhtml_escape,
            "url_escape": escape.url_escape,
            "json_encode": escape.json_encode,
            "squeeze": escape.squeeze,
            "linkify": escape.linkify,
            "datetime": datetime,
            "handler": self,
            "request": self.request,
            "current_user": self.current_user,
            "locale": self.locale,
            "_": self.locale.translate,
            "pgettext": self.locale.pgettext,
            "static_url": self.static_url,
            "xsrf_form_html": self.xsrf_form_html,
            "reverse_url": self.reverse_url,
        }
        namespace.update(self.ui)
        return namespace

    def get_template_path(self) -> str | None:
        """The directory templates are loaded from (``template_path`` setting)."""
        return cast("str | None", self.settings.get("template_path"))

    def create_template_loader(self, template_path: str) -> BaseLoader:
        """Create the template loader for ``template_path``.

        Uses the ``template_loader`` setting if given, else a
        `squall.template.Loader` with the ``autoescape`` and
        ``template_whitespace`` settings.
        """
        settings = self.settings
        if "template_loader" in settings:
            return cast("BaseLoader", settings["template_loader"])
        from squall.template import Loader

        kwargs: dict[str, Any] = {}
        if "autoescape" in settings:
            kwargs["autoescape"] = settings["autoescape"]
        if "template_whitespace" in settings:
            kwargs["whitespace"] = settings["template_whitespace"]
        return Loader(template_path, **kwargs)

    @functools.cached_property
    def ui(self) -> dict[str, Any]:
        """The UI methods (bound to this handler) and modules for templates."""
        from ._uimodule import UIModuleNamespace, bind_ui_method

        ui: dict[str, Any] = {
            name: bind_ui_method(cast("RequestHandler", self), method)
            for name, method in self.application.ui_methods.items()
        }
        modules = UIModuleNamespace(cast("RequestHandler", self), self.application.ui_modules)
        ui["_tt_modules"] = modules
        ui["modules"] = modules
        return _ObjectDict(ui)

    def static_url(self, path: str, include_host: bool | None = None, **kwargs: Any) -> str:
        """The URL of a static file under the ``static_path`` setting.

        The URL carries ``?v=<hash of the content>``, so it can be cached for
        ever and changes when the file does (see
        `StaticFileHandler.make_static_url`).

        Args:
            path: the file's path relative to ``static_path``.
            include_host: prefix ``scheme://host``; defaults to the handler's
                ``include_host`` attribute (false).
            **kwargs: passed to ``make_static_url`` of the
                ``static_handler_class`` (e.g. ``include_version=False``).

        Raises:
            ConfigurationError: the ``static_path`` setting is missing.
        """
        self.require_setting("static_path", "static_url")
        handler_class = self.settings.get("static_handler_class")
        if handler_class is None:
            from ._static import StaticFileHandler

            handler_class = StaticFileHandler
        url = cast(str, handler_class.make_static_url(self.settings, path, **kwargs))
        if include_host is None:
            include_host = getattr(self, "include_host", False)
        if include_host:
            return f"{self.request.protocol}://{self.request.host}{url}"
        return url

    # ------------------------------------------------------------------
    # Authentication and locale

    @property
    def current_user(self) -> Any:
        """The authenticated user (from `get_current_user`, computed once).

        It can be assigned, e.g. in an ``async def prepare`` that looks the
        user up asynchronously.
        """
        try:
            return self.__dict__["_current_user"]
        except KeyError:
            user = self.__dict__["_current_user"] = self.get_current_user()
            return user

    @current_user.setter
    def current_user(self, value: Any) -> None:
        self.__dict__["_current_user"] = value

    def get_current_user(self) -> Any:
        """Override to determine the current user (e.g. from a signed cookie)."""
        return None

    def get_login_url(self) -> str:
        """The URL `authenticated` redirects to (``login_url`` setting).

        Raises:
            ConfigurationError: the ``login_url`` setting is missing.
        """
        self.require_setting("login_url", "@squall.web.authenticated")
        return cast(str, self.settings["login_url"])

    @property
    def locale(self) -> _locale_mod.Locale:
        """The user's locale: `get_user_locale`, else `get_browser_locale`."""
        try:
            return cast(_locale_mod.Locale, self.__dict__["_locale"])
        except KeyError:
            found: Any = self.get_user_locale()
            if isinstance(found, str):
                found = _locale_mod.get(found)
            if not found:
                found = self.get_browser_locale()
            self.__dict__["_locale"] = found
            return cast(_locale_mod.Locale, found)

    @locale.setter
    def locale(self, value: _locale_mod.Locale) -> None:
        self.__dict__["_locale"] = value

    def get_user_locale(self) -> _locale_mod.Locale | None:
        """Override to pick the locale from e.g. user preferences.

        Return ``None`` to fall back on the ``Accept-Language`` header; a
        locale code string is also accepted.
        """
        return None

    def get_browser_locale(self, default: str = "en_US") -> _locale_mod.Locale:
        """The closest supported locale to the ``Accept-Language`` header."""
        header = self.request.headers.get("Accept-Language")
        if header:
            codes = _locale_mod.parse_accept_language(header)
            if codes:
                return _locale_mod.get(*codes)
        return _locale_mod.get(default)


_WEB_DIR = os.path.dirname(os.path.abspath(__file__))


def _caller_directory() -> str:
    """The directory of the first stack frame outside squall.web."""
    frame = sys._getframe(1)
    while frame.f_back is not None and os.path.dirname(
        os.path.abspath(frame.f_code.co_filename)
    ) == _WEB_DIR:
        frame = frame.f_back
    return os.path.dirname(os.path.abspath(frame.f_code.co_filename))


class _ObjectDict(dict):  # type: ignore[type-arg]
    """A dict whose keys are also attributes (``handler.ui.modules``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None
