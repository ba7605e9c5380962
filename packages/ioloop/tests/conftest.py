"""Shared fixtures for the squall-ioloop tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import trustme

from squall.ioloop import IOLoop


@pytest.fixture
def io_loop() -> Iterator[IOLoop]:
    loop = IOLoop()
    yield loop
    if not loop.asyncio_loop.is_closed():
        loop.close(all_fds=True)
    IOLoop.clear_current()
    asyncio.set_event_loop(None)


@pytest.fixture(scope="session")
def tls_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def tls_files(tls_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A server certificate for localhost/127.0.0.1 and the CA that signed it, as files."""
    base = tmp_path_factory.mktemp("tls")
    cert = tls_ca.issue_cert("localhost", "127.0.0.1")
    certfile = base / "server.pem"
    keyfile = base / "server.key"
    cafile = base / "ca.pem"
    for i, pem in enumerate(cert.cert_chain_pems):
        pem.write_to_path(str(certfile), append=i > 0)
    cert.private_key_pem.write_to_path(str(keyfile))
    tls_ca.cert_pem.write_to_path(str(cafile))
    return {"certfile": str(certfile), "keyfile": str(keyfile), "ca_certs": str(cafile)}
