"""Turning Tornado-style ``ssl_options`` dicts into ``ssl.SSLContext`` objects."""

from __future__ import annotations

import ssl
from typing import Any

_SSL_OPTION_KEYS = frozenset(
    {"ssl_version", "certfile", "keyfile", "cert_reqs", "ca_certs", "ciphers", "check_hostname"}
)


def ssl_options_to_context(
    ssl_options: dict[str, Any] | ssl.SSLContext, server_side: bool | None = None
) -> ssl.SSLContext:
    """Build an `ssl.SSLContext` from an ``ssl_options`` dict.

    The dict keys are those of the old ``ssl.wrap_socket`` call: ``certfile``,
    ``keyfile``, ``cert_reqs``, ``ca_certs``, ``ciphers`` (and
    ``ssl_version``, accepted and ignored: the context always negotiates the
    best TLS version both sides support). A context is returned unchanged.

    Args:
        ssl_options: the dict, or a ready `ssl.SSLContext`.
        server_side: build a server context (True) or a client one (False).
            None means: a server context if ``certfile`` is given, else a
            client context.

    Returns:
        The context.

    Raises:
        ValueError: the dict has an unknown key.
        TypeError: ``ssl_options`` is neither a dict nor a context.
        OSError: a certificate or key file cannot be loaded.

    Compatibility: client contexts verify the server certificate and host
    name unless ``cert_reqs`` is ``ssl.CERT_NONE``.
    """
    if isinstance(ssl_options, ssl.SSLContext):
        return ssl_options
    if not isinstance(ssl_options, dict):
        raise TypeError(
            f"ssl_options must be a dict or an ssl.SSLContext, not {type(ssl_options).__name__}"
        )
    unknown = set(ssl_options) - _SSL_OPTION_KEYS
    if unknown:
        raise ValueError(
            f"unknown ssl_options key(s) {sorted(unknown)}; expected some of "
            f"{sorted(_SSL_OPTION_KEYS)} (or pass an ssl.SSLContext)"
        )
    if server_side is None:
        server_side = "certfile" in ssl_options
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server_side else ssl.PROTOCOL_TLS_CLIENT)
    if not server_side:
        context.load_default_certs()
    if "certfile" in ssl_options:
        context.load_cert_chain(ssl_options["certfile"], ssl_options.get("keyfile"))
    if "cert_reqs" in ssl_options:
        if ssl_options["cert_reqs"] == ssl.CERT_NONE:
            context.check_hostname = False
        context.verify_mode = ssl_options["cert_reqs"]
    if "check_hostname" in ssl_options:
        context.check_hostname = bool(ssl_options["check_hostname"])
    if "ca_certs" in ssl_options:
        context.load_verify_locations(ssl_options["ca_certs"])
    if "ciphers" in ssl_options:
        context.set_ciphers(ssl_options["ciphers"])
    # CRIME: TLS-level compression leaks secrets; never allow it.
    context.options |= ssl.OP_NO_COMPRESSION
    return context
