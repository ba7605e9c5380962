"""Asynchronous name resolution: Resolver (configurable) and its implementations."""

from __future__ import annotations

import asyncio
import socket
from typing import Any, ClassVar


class _ConfigurableMeta(type):
    """Makes ``Resolver()`` build the configured implementation instead."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is Resolver:
            impl = Resolver.configured_class()
            merged = {**Resolver._impl_kwargs, **kwargs}
            return impl(*args, **merged)
        return super().__call__(*args, **kwargs)


class Resolver(metaclass=_ConfigurableMeta):
    """Resolves host names to socket addresses without blocking the loop.

    ``Resolver()`` builds an instance of the configured implementation
    (`DefaultLoopResolver` unless `Resolver.configure` chose another), so code
    that needs a resolver stays independent of which one the application uses.
    Subclasses implement `resolve`.
    """

    _impl_class: ClassVar[type[Resolver] | None] = None
    _impl_kwargs: ClassVar[dict[str, Any]] = {}

    @classmethod
    def configure(cls, impl: type[Resolver] | str | None, **kwargs: Any) -> None:
        """Choose the class ``Resolver()`` builds, and default arguments for it.

        Args:
            impl: a Resolver subclass, its dotted import path, or None to go
                back to `DefaultLoopResolver`.
            **kwargs: keyword arguments passed to its constructor.

        Raises:
            TypeError: ``impl`` is not a Resolver subclass.
        """
        if isinstance(impl, str):
            import importlib

            module_name, _, attr = impl.rpartition(".")
            impl = getattr(importlib.import_module(module_name), attr)
        if impl is not None and not (isinstance(impl, type) and issubclass(impl, Resolver)):
            raise TypeError(f"Resolver.configure needs a Resolver subclass, got {impl!r}")
        Resolver._impl_class = impl
        Resolver._impl_kwargs = dict(kwargs)

    @classmethod
    def configured_class(cls) -> type[Resolver]:
        """Return the class ``Resolver()`` currently builds.

        Returns:
            The configured implementation.
        """
        return Resolver._impl_class or DefaultLoopResolver

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        """Resolve ``host`` and ``port`` to addresses.

        Args:
            host: a host name or IP address.
            port: the port number.
            family: ``AF_INET``, ``AF_INET6`` or ``AF_UNSPEC`` for both.

        Returns:
            ``(family, sockaddr)`` pairs, usable with ``socket.connect``.

        Raises:
            OSError: the name cannot be resolved (``socket.gaierror``).
        """
        raise NotImplementedError("Resolver subclasses implement resolve()")

    def close(self) -> None:
        """Release any resources the resolver holds."""


class DefaultLoopResolver(Resolver):
    """Runs ``getaddrinfo`` through the asyncio loop (in its thread pool)."""

    def __init__(self) -> None:
        pass

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        """Resolve ``host`` with ``loop.getaddrinfo`` (see `Resolver.resolve`).

        Args:
            host: a host name or IP address.
            port: the port number.
            family: the address family, or ``AF_UNSPEC``.

        Returns:
            ``(family, sockaddr)`` pairs in resolver order.
        """
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, family=family, type=socket.SOCK_STREAM
        )
        return [(af, sockaddr) for af, _type, _proto, _canon, sockaddr in infos]


#: Tornado's name for the resolver that runs the blocking call off the loop.
DefaultExecutorResolver = DefaultLoopResolver


class OverrideResolver(Resolver):
    """Wraps a resolver and maps chosen hosts elsewhere, mostly for tests.

    ``mapping`` keys are a host, a ``(host, port)`` pair or a
    ``(host, port, family)`` triple; values are a host or a ``(host, port)``
    pair. The most specific key wins.

    Args:
        resolver: the resolver used for the (possibly replaced) name.
        mapping: the overrides.
    """

    def __init__(self, resolver: Resolver, mapping: dict[Any, Any]) -> None:
        self.resolver = resolver
        self.mapping = mapping

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        """Resolve through the mapping, then the wrapped resolver.

        Args:
            host: a host name or IP address.
            port: the port number.
            family: the address family, or ``AF_UNSPEC``.

        Returns:
            ``(family, sockaddr)`` pairs.
        """
        if (host, port, family) in self.mapping:
            host, port = self.mapping[(host, port, family)]
        elif (host, port) in self.mapping:
            host, port = self.mapping[(host, port)]
        elif host in self.mapping:
            host = self.mapping[host]
        return await self.resolver.resolve(host, port, family)

    def close(self) -> None:
        """Close the wrapped resolver."""
        self.resolver.close()
