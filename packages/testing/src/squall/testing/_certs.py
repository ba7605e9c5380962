"""The certificate and key that HTTPS tests use.

Decision: a self-signed certificate and key are committed in the package
(``test.crt``, ``test.key``: ECDSA P-256, for ``localhost``, ``127.0.0.1``
and ``::1``, valid until 2126) rather than made per run with ``trustme``.
It keeps squall-testing free of third-party dependencies, gives the same
behaviour on every machine, and costs nothing at run time. The certificate
is its own CA, so a client can verify it strictly by trusting this file
(``ca_certs=get_test_cert_path()``). Its key is public: never use it
outside tests. For a certificate chain of your own, override
``get_ssl_options`` (or the ``http_server_options`` fixture), e.g. with
``trustme``.
"""

from __future__ import annotations

import os

__all__ = ["get_test_cert_path", "get_test_ssl_options"]

_HERE = os.path.dirname(os.path.abspath(__file__))


def get_test_cert_path() -> str:
    """Return the path of the bundled test certificate (PEM).

    Pass it as ``ca_certs`` to a client to verify the test server's
    certificate instead of turning verification off.

    Returns:
        An absolute file path.
    """
    return os.path.join(_HERE, "test.crt")


def get_test_ssl_options() -> dict[str, str]:
    """Return ``ssl_options`` for a test HTTPS server, with the bundled certificate.

    The certificate is self-signed, for ``localhost``, ``127.0.0.1`` and
    ``::1``; its private key is public, so use it only in tests.

    Returns:
        ``{"certfile": ..., "keyfile": ...}`` for ``HTTPServer(ssl_options=...)``.
    """
    return {"certfile": get_test_cert_path(), "keyfile": os.path.join(_HERE, "test.key")}
