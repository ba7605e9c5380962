"""Client address and scheme from proxy headers (``xheaders=True``).

Only a reverse proxy that sets (or strips) these headers makes them
trustworthy, so they are read only when the server is told so. Values that
are not an IP address or a known scheme are ignored.
"""

from __future__ import annotations

from squall.httputil import HTTPConnectionContext, HTTPHeaders
from squall.netutil import is_valid_ip

__all__ = ["apply_xheaders"]

_SCHEMES = frozenset(("http", "https"))


def _last_untrusted(candidates: list[str], trusted: frozenset[str]) -> str | None:
    """The right-most address that is not one of our trusted proxies."""
    for candidate in reversed(candidates):
        if candidate not in trusted:
            return candidate
    return None


def _forwarded_elements(values: list[str]) -> list[dict[str, str]]:
    """Parse RFC 7239 ``Forwarded`` values into a list of parameter dicts."""
    elements: list[dict[str, str]] = []
    for value in values:
        for element in value.split(","):
            params: dict[str, str] = {}
            for pair in element.split(";"):
                name, sep, val = pair.partition("=")
                if not sep:
                    continue
                val = val.strip(" \t")
                if len(val) >= 2 and val[0] == '"' and val[-1] == '"':
                    val = val[1:-1]
                params[name.strip(" \t").lower()] = val
            elements.append(params)
    return elements


def _forwarded_node_ip(node: str) -> str:
    """The address part of an RFC 7239 node: ``1.2.3.4:80`` or ``[::1]:80``."""
    if node.startswith("["):
        return node[1:].split("]", 1)[0]
    if node.count(":") == 1:
        return node.split(":", 1)[0]
    return node


def apply_xheaders(context: HTTPConnectionContext, headers: HTTPHeaders) -> HTTPConnectionContext:
    """Return a copy of ``context`` with the client's address and scheme from proxy headers.

    ``X-Real-IP`` wins over ``X-Forwarded-For`` (whose right-most address
    that is not in ``trusted_downstream`` is used); if neither is present,
    the RFC 7239 ``Forwarded`` header's ``for=`` is read the same way.
    ``X-Scheme``, then ``X-Forwarded-Proto``, then ``Forwarded``'s
    ``proto=`` give the scheme.
    """
    trusted = context.trusted_downstream
    remote_ip = context.remote_ip
    protocol = context.protocol
    real_ip = headers.get("X-Real-Ip")
    forwarded_for = headers.get("X-Forwarded-For")
    forwarded = headers.get_list("Forwarded")
    elements = _forwarded_elements(forwarded) if forwarded else []

    ip: str | None = None
    if real_ip is not None:
        ip = real_ip.strip(" \t")
    elif forwarded_for is not None:
        ip = _last_untrusted([c.strip(" \t") for c in forwarded_for.split(",")], trusted)
    elif elements:
        nodes = [_forwarded_node_ip(e["for"]) for e in elements if "for" in e]
        ip = _last_untrusted(nodes, trusted)
    if ip is not None and is_valid_ip(ip):
        remote_ip = ip

    scheme = headers.get("X-Scheme") or headers.get("X-Forwarded-Proto")
    if scheme is None and elements:
        protos = [e["proto"] for e in elements if "proto" in e]
        scheme = protos[-1] if protos else None
    if scheme is not None:
        # A chain of proxies may append: the last one is nearest to us.
        scheme = scheme.split(",")[-1].strip(" \t").lower()
        if scheme in _SCHEMES:
            protocol = scheme

    return HTTPConnectionContext(remote_ip, protocol, context.address, trusted, context.sockname)
