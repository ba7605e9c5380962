"""IP address validation."""

from __future__ import annotations

import ipaddress


def is_valid_ip(ip: str) -> bool:
    """Return whether ``ip`` is a literal IPv4 or IPv6 address.

    Host names are not resolved; an IPv6 zone (``fe80::1%eth0``) is accepted.

    Args:
        ip: the string to check.

    Returns:
        True for an IP address literal, False otherwise (including ``""``).
    """
    if not isinstance(ip, str) or not ip or "\x00" in ip:
        return False
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return False
    return True
