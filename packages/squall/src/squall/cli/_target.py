"""Find the application named on the command line (``module:app`` or ``module:make_app()``)."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from squall.httputil import HTTPServerConnectionDelegate

# A dotted Python name: ``pkg.module`` or ``obj.attr``.
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


class AppLoadError(Exception):
    """The ``module:app`` target could not be imported or is not an application."""


@dataclass(frozen=True, slots=True)
class AppTarget:
    """A parsed ``module:attribute`` or ``module:factory()`` target.

    Build one with `AppTarget.parse`; `resolve` imports the module and finds
    the attribute, `load` also calls the factory.

    Attributes:
        module: the dotted module name.
        attribute: the dotted attribute path inside the module.
        factory: whether the target ends with ``()`` (call it to get the app).
    """

    module: str
    attribute: str
    factory: bool

    @classmethod
    def parse(cls, text: str) -> AppTarget:
        """Parse ``module:app`` or ``module:make_app()``.

        Args:
            text: the target as written on the command line.

        Returns:
            The parsed target.

        Raises:
            AppLoadError: ``text`` is not of that form.
        """
        module, sep, attribute = text.strip().partition(":")
        factory = attribute.endswith("()")
        if factory:
            attribute = attribute[:-2]
        if not sep or not _DOTTED.fullmatch(module) or not _DOTTED.fullmatch(attribute):
            raise AppLoadError(
                f"bad application {text!r}: write module:app (an Application object) "
                "or module:make_app() (a function that returns one), "
                "e.g. myproject.web:application"
            )
        return cls(module, attribute, factory)

    def __str__(self) -> str:
        return f"{self.module}:{self.attribute}{'()' if self.factory else ''}"

    def resolve(self) -> Any:
        """Import the module and return the named object (the factory is not called).

        Returns:
            The application, or the factory when `factory` is set.

        Raises:
            AppLoadError: the module cannot be imported, the attribute is
                missing, or a factory target names something not callable.
        """
        try:
            obj: Any = importlib.import_module(self.module)
        except ModuleNotFoundError as error:
            if error.name is not None and self.module.startswith(error.name):
                raise AppLoadError(
                    f"cannot import module {self.module!r} for {self}: no module named "
                    f"{error.name!r} (run squall from the folder that holds it, or pass "
                    "--app-dir)"
                ) from error
            raise AppLoadError(f"importing {self.module!r} for {self} failed: {error}") from error
        except Exception as error:
            raise AppLoadError(
                f"importing {self.module!r} for {self} failed: "
                f"{type(error).__name__}: {error}"
            ) from error
        for part in self.attribute.split("."):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                raise AppLoadError(
                    f"{self.module!r} has no attribute {self.attribute!r} (looked for {self})"
                ) from None
        if self.factory and not callable(obj):
            raise AppLoadError(
                f"{self} names a {type(obj).__name__}, which cannot be called; "
                f"drop the '()' if it is the application itself"
            )
        return obj

    def load(self) -> HTTPServerConnectionDelegate:
        """Return the application: the named object, or what the factory returns.

        Returns:
            The application (a ``squall.web.Application`` or any other
            `HTTPServerConnectionDelegate`).

        Raises:
            AppLoadError: as for `resolve`, or the factory failed, or the
                result is not an application.
        """
        return self.check(self.resolve())

    def check(self, obj: Any) -> HTTPServerConnectionDelegate:
        """Turn what `resolve` returned into the application (calling a factory).

        Args:
            obj: the result of `resolve`.

        Returns:
            The application.

        Raises:
            AppLoadError: the factory failed or the result is not an application.
        """
        if self.factory:
            factory: Callable[[], Any] = obj
            try:
                obj = factory()
            except Exception as error:
                raise AppLoadError(
                    f"{self} raised {type(error).__name__}: {error}"
                ) from error
        if isinstance(obj, HTTPServerConnectionDelegate):
            return obj
        hint = ""
        if not self.factory and callable(obj):
            hint = f"; if it is a function that builds the application, write {self}()"
        what = "returned" if self.factory else "is"
        raise AppLoadError(
            f"{self} {what} a {type(obj).__name__}, not an application "
            f"(squall.web.Application){hint}"
        )


def load_app(target: str) -> HTTPServerConnectionDelegate:
    """Import and return the application named by ``module:app`` or ``module:make_app()``.

    Args:
        target: ``module:attribute`` for an application object, or
            ``module:factory()`` for a function of no arguments that returns one.

    Returns:
        The application.

    Raises:
        AppLoadError: the target is malformed, cannot be imported, or does
            not name an application.
    """
    return AppTarget.parse(target).load()
