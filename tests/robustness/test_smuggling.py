"""Request smuggling and framing: raw requests against a live server.

Each case is sent over a real socket to ``HTTPServer`` serving a
``squall.web.Application`` whose canary handler records every request it
receives. Most cases carry a second request, ``GET /smuggled``, right after
the bytes under test: after a rejected request the server must answer once
(with the expected status), close the connection, and the canary must never
see ``/smuggled``. Cases that must be *accepted* check the other side of
framing: the body was delimited exactly, so the pipelined ``/smuggled`` is
served as the separate, second request it is.

The checklist is /work/shared/ROBUSTNESS.md section 1 (items named in each
case's comment) and the httputil issue's strictness rules.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

S = b"GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"
HEAD = b"POST /t HTTP/1.1\r\nHost: a\r\n"
CHUNKED = HEAD + b"Transfer-Encoding: chunked\r\n"
GET = b"GET /t HTTP/1.1\r\nHost: a\r\n"

ANY_REJECT = frozenset({400})


@dataclasses.dataclass(frozen=True)
class Case:
    """One raw request and what the server must do with it.

    Attributes:
        id: The test id.
        data: The bytes sent.
        statuses: One set of allowed statuses per expected response, in order.
        hits: The (method, path, body length) the canary must see, in order.
        closed: Whether the server must close the connection after answering.
        xfail: A reason when the case exposes a known package bug.
    """

    id: str
    data: bytes
    statuses: tuple[frozenset[int], ...]
    hits: tuple[tuple[str, str, int], ...] = ()
    closed: bool | None = True
    xfail: str | None = None


def reject(id: str, data: bytes, *codes: int, xfail: str | None = None) -> Case:
    """A request that must get one of ``codes`` (400 by default), then a close."""
    return Case(id, data + S, (frozenset(codes or (400,)),), xfail=xfail)


def accept(id: str, data: bytes, body_length: int, method: str = "POST") -> Case:
    """A request that must be served, with ``/smuggled`` served after it."""
    return Case(
        id,
        data + S,
        (frozenset({200}), frozenset({200})),
        ((method, "/t", body_length), ("GET", "/smuggled", 0)),
        closed=None,
    )


CASES: list[Case] = [
    # -- 1. Content-Length together with Transfer-Encoding (checklist 1) ------------
    reject("te-then-cl", CHUNKED + b"Content-Length: 2\r\n\r\n2\r\nok\r\n0\r\n\r\n"),
    reject("cl-then-te", HEAD + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\nok"),
    reject("te-cl-lowercase", HEAD + b"transfer-encoding: chunked\r\ncontent-length: 5\r\n\r\n0\r\n\r\n"),
    reject("te-cl-uppercase", HEAD + b"TRANSFER-ENCODING: CHUNKED\r\nCONTENT-LENGTH: 5\r\n\r\n0\r\n\r\n"),
    reject("cl-zero-te", HEAD + b"Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    # -- 2./3. Transfer-Encoding values (checklist 2, 3) ----------------------------
    reject("te-duplicate-lines", CHUNKED + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    reject("te-chunked-chunked", HEAD + b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"),
    reject("te-gzip-chunked", HEAD + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400, 501),
    reject("te-chunked-gzip", HEAD + b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400, 501),
    reject("te-identity", HEAD + b"Transfer-Encoding: identity\r\n\r\n0\r\n\r\n", 400, 501),
    reject("te-xchunked", HEAD + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400, 501),
    reject("te-chunk", HEAD + b"Transfer-Encoding: chunk\r\n\r\n0\r\n\r\n", 400, 501),
    reject("te-leading-comma", HEAD + b"Transfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n", 400, 501),
    reject("te-trailing-comma", HEAD + b"Transfer-Encoding: chunked,\r\n\r\n0\r\n\r\n", 400, 501),
    reject("te-quoted", HEAD + b'Transfer-Encoding: "chunked"\r\n\r\n0\r\n\r\n', 400, 501),
    reject("te-with-params", HEAD + b"Transfer-Encoding: chunked;ext=val\r\n\r\n0\r\n\r\n", 400, 501),
    reject("te-empty", HEAD + b"Transfer-Encoding: \r\n\r\n0\r\n\r\n", 400, 501),
    reject("te-http10", b"POST /t HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    reject("te-vtab", HEAD + b"Transfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n", 400, 501),
    reject("te-formfeed", HEAD + b"Transfer-Encoding:\x0cchunked\r\n\r\n0\r\n\r\n", 400, 501),
    reject("te-nbsp", HEAD + b"Transfer-Encoding: \xa0chunked\xa0\r\n\r\n0\r\n\r\n", 400, 501),
    reject("te-nel", HEAD + b"Transfer-Encoding: \x85chunked\r\n\r\n0\r\n\r\n", 400, 501),
    accept("te-tab-ows", HEAD + b"Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n", 0),
    accept("te-uppercase", HEAD + b"Transfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n", 0),
    accept("te-mixed-case", HEAD + b"Transfer-Encoding: cHuNkEd\r\n\r\n2\r\nok\r\n0\r\n\r\n", 2),
    # -- 4. name obfuscation (checklist 4) -------------------------------------------
    reject("te-space-before-colon", HEAD + b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
    reject("te-tab-before-colon", HEAD + b"Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n"),
    reject("te-leading-space-first-line", b"POST /t HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: a\r\n\r\n0\r\n\r\n"),
    reject("te-obs-fold", HEAD + b"Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"),
    reject("te-after-bare-cr", HEAD + b"X: X\rTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    # An underscore is a token character: a different header, not TE. The body is framed by CL.
    accept("te-underscore-is-other-header", HEAD + b"Transfer_Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 5),
    # -- 5. Content-Length values (checklist 5) -----------------------------------------
    reject("cl-plus", HEAD + b"Content-Length: +5\r\n\r\nhello"),
    reject("cl-minus", HEAD + b"Content-Length: -1\r\n\r\nhello"),
    reject("cl-minus-zero", HEAD + b"Content-Length: -0\r\n\r\n"),
    reject("cl-underscore", HEAD + b"Content-Length: 1_0\r\n\r\nhellohello"),
    reject("cl-hex", HEAD + b"Content-Length: 0x5\r\n\r\nhello"),
    reject("cl-inner-space", HEAD + b"Content-Length: 1 0\r\n\r\nhellohello"),
    reject("cl-arabic-digits", HEAD + "Content-Length: \u0661\u0660\r\n\r\n".encode() + b"hellohello"),
    reject("cl-empty", HEAD + b"Content-Length: \r\n\r\n"),
    reject("cl-huge", HEAD + b"Content-Length: 99999999999999999999999999\r\n\r\nhello", 400, 413),
    reject("cl-differing-lines", HEAD + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
    reject("cl-differing-list", HEAD + b"Content-Length: 5, 6\r\n\r\nhello!"),
    reject("cl-same-list-strict", HEAD + b"Content-Length: 5, 5\r\n\r\nhello"),
    reject("cl-same-lines-strict", HEAD + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
    # Leading zeros: a strict decimal reading (5) would be allowed; squall refuses them.
    reject("cl-leading-zeros", HEAD + b"Content-Length: 005\r\n\r\nhello"),
    reject("cl-space-before-colon", HEAD + b"Content-Length : 5\r\n\r\nhello"),
    # -- 6. chunk sizes (checklist 6) ------------------------------------------------------
    reject("chunk-hex-prefix", CHUNKED + b"\r\n0x5\r\nhello\r\n0\r\n\r\n"),
    reject("chunk-plus", CHUNKED + b"\r\n+5\r\nhello\r\n0\r\n\r\n"),
    reject("chunk-minus", CHUNKED + b"\r\n-5\r\nhello\r\n0\r\n\r\n"),
    reject("chunk-leading-space", CHUNKED + b"\r\n 5\r\nhello\r\n0\r\n\r\n"),
    reject("chunk-trailing-space", CHUNKED + b"\r\n5 \r\nhello\r\n0\r\n\r\n"),
    reject("chunk-underscore", CHUNKED + b"\r\n1_a\r\n" + b"x" * 26 + b"\r\n0\r\n\r\n"),
    reject("chunk-empty-size", CHUNKED + b"\r\n\r\nhello\r\n0\r\n\r\n"),
    reject("chunk-ext-without-size", CHUNKED + b"\r\n;ext\r\nhello\r\n0\r\n\r\n"),
    reject("chunk-17-hex-digits", CHUNKED + b"\r\n" + b"F" * 17 + b"\r\nhello\r\n0\r\n\r\n", 400, 413),
    reject("chunk-over-max-body", CHUNKED + b"\r\nFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n", 413),
    reject("chunk-size-over-limit", CHUNKED + b"\r\n200000\r\nhello\r\n0\r\n\r\n", 413),
    # -- 7. chunk terminators (checklist 7) ------------------------------------------------
    reject("chunk-lf-terminator", CHUNKED + b"\r\n5\nhello\r\n0\r\n\r\n"),
    reject("chunk-bare-cr-terminator", CHUNKED + b"\r\n5\rXhello\r\n0\r\n\r\n"),
    reject("chunk-data-overrun", CHUNKED + b"\r\n5\r\nhello!!\r\n0\r\n\r\n"),
    reject("chunk-data-lf-only", CHUNKED + b"\r\n5\r\nhello\n0\r\n\r\n"),
    reject("chunk-last-missing-crlf", CHUNKED + b"\r\n5\r\nhello\r\n0\r\n"),
    # -- 8. chunk extensions (checklist 8) --------------------------------------------------
    accept("chunk-ext-ignored", CHUNKED + b"\r\n5;ext=val\r\nhello\r\n0\r\n\r\n", 5),
    accept("chunk-ext-several", CHUNKED + b"\r\n5;a;b=c\r\nhello\r\n0\r\n\r\n", 5),
    accept("chunk-ext-quoted", CHUNKED + b'\r\n5;q="x y"\r\nhello\r\n0\r\n\r\n', 5),
    reject("chunk-ext-bare-semicolon", CHUNKED + b"\r\n5;\r\nhello\r\n0\r\n\r\n"),
    reject("chunk-ext-lf", CHUNKED + b"\r\n5;\nhello\r\n0\r\n\r\n"),
    reject("chunk-ext-cr", CHUNKED + b"\r\n5;ext\r=x\r\nhello\r\n0\r\n\r\n"),
    reject("chunk-ext-ctrl", CHUNKED + b"\r\n5;e\x01xt\r\nhello\r\n0\r\n\r\n"),
    reject("chunk-ext-64k", CHUNKED + b"\r\n5;" + b"a" * 65536 + b"\r\nhello\r\n0\r\n\r\n", 400, 413, 431),
    # -- 9. trailers (checklist 9) -------------------------------------------------------------
    accept("zero-chunk-with-trailers", CHUNKED + b"\r\n0\r\nX-Foo: bar\r\n\r\n", 0),
    accept("trailer-cl-not-merged", CHUNKED + b"\r\n2\r\nok\r\n0\r\nContent-Length: 50\r\n\r\n", 2),
    reject("trailer-bare-lf", CHUNKED + b"\r\n0\r\nX-Foo: bar\n\r\n"),
    reject("trailer-obs-fold", CHUNKED + b"\r\n0\r\nX-Foo: bar\r\n baz\r\n\r\n"),
    # -- 10. pipelining and desync (checklist 10) --------------------------------------------
    Case(
        "pipelined-after-bad-request",
        GET + b"X : y\r\n\r\n" + S,
        (ANY_REJECT,),
    ),
    Case(
        "bad-request-after-good-one",
        GET + b"\r\n" + b"GET /t HTTP/1.1\r\n\r\n" + S,
        (frozenset({200}), ANY_REJECT),
        (("GET", "/t", 0),),
    ),
    Case(
        "invalid-after-connection-close",
        GET + b"Connection: close\r\n\r\n" + b"GET /t HTTP/1.1\r\n\r\n" + S,
        (frozenset({200}),),
        (("GET", "/t", 0),),
    ),
    Case(
        "cl0-body-poison",
        HEAD + b"Content-Length: 0\r\n\r\nXGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
        (frozenset({200}), frozenset({400, 405, 501})),
        (("POST", "/t", 0),),
        closed=None,
    ),
    Case(
        "get-with-cl-body-is-not-a-request",
        GET + b"Content-Length: %d\r\n\r\n" % len(S) + S,
        (frozenset({200, 400}),),
        (("GET", "/t", len(S)),),
        closed=None,
    ),
    Case(
        "chunked-body-holding-a-request",
        CHUNKED + b"\r\n%x\r\n" % len(S) + S + b"\r\n0\r\n\r\n",
        (frozenset({200}),),
        (("POST", "/t", len(S)),),
        closed=None,
    ),
    # -- 12. header block (checklist 12) -----------------------------------------------------
    reject("obs-fold", GET + b"X-A: a\r\n b\r\n\r\n"),
    reject("obs-fold-tab", GET + b"X-A: a\r\n\tb\r\n\r\n"),
    reject("space-before-colon", GET + b"X-A : a\r\n\r\n"),
    reject("empty-name", GET + b": a\r\n\r\n"),
    reject("name-with-paren", GET + b"X(y): a\r\n\r\n"),
    reject("name-with-slash", GET + b"X/y: a\r\n\r\n"),
    reject("name-non-ascii", GET + b"X\xefy: a\r\n\r\n"),
    reject("name-nul", GET + b"X\x00y: a\r\n\r\n"),
    reject("no-colon", GET + b"X-A a\r\n\r\n"),
    reject("value-nul", GET + b"X-A: a\x00b\r\n\r\n"),
    reject("value-bare-cr", GET + b"X-A: a\rb\r\n\r\n"),
    reject("value-vtab", GET + b"X-A: a\x0bb\r\n\r\n"),
    reject("value-del", GET + b"X-A: a\x7fb\r\n\r\n"),
    reject("bare-cr-line-end", b"GET /t HTTP/1.1\rHost: a\r\n\r\n"),
    reject("bare-lf-line-ends", b"GET /t HTTP/1.1\nHost: a\n\n"),
    reject("host-missing", b"GET /t HTTP/1.1\r\nX: y\r\n\r\n"),
    reject("host-twice", GET + b"Host: b\r\n\r\n"),
    reject("host-twice-same", GET + b"Host: a\r\n\r\n"),
    reject("host-userinfo", b"GET /t HTTP/1.1\r\nHost: u@a\r\n\r\n"),
    reject("host-path", b"GET /t HTTP/1.1\r\nHost: a/b\r\n\r\n"),
    reject(
        "content-type-twice",
        HEAD + b"Content-Type: a/b\r\nContent-Type: c/d\r\nContent-Length: 0\r\n\r\n",
    ),
    # -- 11. request line (checklist 11) ---------------------------------------------------
    reject("method-non-token", b'G=":<>(e),[T];?" /get HTTP/1.1\r\nHost: a\r\n\r\n'),
    reject("method-empty", b" /t HTTP/1.1\r\nHost: a\r\n\r\n"),
    reject("request-line-extra-part", b"GET /t HTTP/1.1 x\r\nHost: a\r\n\r\n"),
    reject("request-line-double-space", b"GET  /t HTTP/1.1\r\nHost: a\r\n\r\n"),
    reject("request-line-tab", b"GET\t/t HTTP/1.1\r\nHost: a\r\n\r\n"),
    reject("request-line-lf-separator", b"GET /t\nHTTP/1.1\r\nHost: a\r\n\r\n"),
    reject("target-nul", b"GET /t\x00 HTTP/1.1\r\nHost: a\r\n\r\n"),
    reject("target-ctrl", b"GET /t\x1b HTTP/1.1\r\nHost: a\r\n\r\n"),
    reject("target-bang", b"GET ! HTTP/1.1\r\nHost: a\r\n\r\n"),
    reject("http09", b"GET /t\r\n\r\n"),
    reject("version-lowercase", b"GET /t http/1.1\r\nHost: a\r\n\r\n", 400, 505),
    reject("version-leading-zero", b"GET /t HTTP/01.1\r\nHost: a\r\n\r\n", 400, 505),
    reject("version-1-32", b"GET /t HTTP/1.32\r\nHost: a\r\n\r\n", 400, 505),
    reject("version-1-2", b"GET /t HTTP/1.2\r\nHost: a\r\n\r\n", 505),
    reject("version-2-0", b"GET /t HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    reject("version-3-0", b"GET /t HTTP/3.0\r\nHost: a\r\n\r\n", 505),
    reject("h2-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, 505),
    reject("authority-form-get", b"GET a:80 HTTP/1.1\r\nHost: a\r\n\r\n"),
    reject("absolute-form-host-mismatch", b"GET http://evil.example/t HTTP/1.1\r\nHost: a\r\n\r\n"),
    reject("absolute-form-userinfo", b"GET http://u@a/t HTTP/1.1\r\nHost: a\r\n\r\n"),
    reject("absolute-form-other-scheme", b"GET ftp://a/t HTTP/1.1\r\nHost: a\r\n\r\n"),
    Case(
        "absolute-form-matching-host",
        b"GET http://a/t HTTP/1.1\r\nHost: a\r\n\r\n" + S,
        (frozenset({200}), frozenset({200})),
        (("GET", "/t", 0), ("GET", "/smuggled", 0)),
        closed=None,
    ),
    # CONNECT is not served by the canary: an error status, never a tunnel.
    Case(
        "authority-form-connect",
        b"CONNECT a:80 HTTP/1.1\r\nHost: a:80\r\n\r\n",
        (frozenset({400, 405, 501}),),
        closed=None,
    ),
    # -- 13. sizes (checklist 13) -----------------------------------------------------------
    reject("request-line-too-long", b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
    reject("method-too-long", b"A" * 20000 + b" / HTTP/1.1\r\nHost: a\r\n\r\n", 400, 414),
    reject("header-value-100k", GET + b"X-A: " + b"v" * 100_000 + b"\r\n\r\n", 431),
    reject("header-section-too-big", GET + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 1000) for i in range(70)) + b"\r\n", 431),
    reject("too-many-fields", GET + b"".join(b"X-%d: v\r\n" % i for i in range(101)) + b"\r\n", 431),
    reject("body-over-max-size", HEAD + b"Content-Length: %d\r\n\r\n" % (1024 * 1024 + 1), 413),
    reject("unknown-expect", GET + b"Expect: 200-ok\r\n\r\n", 417),
]


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60
    assert len({case.id for case in CASES}) == len(CASES)


def _params() -> list[Any]:
    out = []
    for case in CASES:
        marks = []
        if case.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=case.xfail))
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


@pytest.mark.parametrize("case", _params())
def test_framing(case: Case, shared_server: Any, raw: Any) -> None:
    del shared_server.hits[:]
    expect = None if case.closed else len(case.statuses)
    responses, closed = raw(shared_server.port, case.data, expect=expect, timeout=5)
    statuses = [r.status for r in responses]
    assert len(statuses) == len(case.statuses), f"responses {statuses}"
    for got, allowed in zip(statuses, case.statuses):
        assert got in allowed, f"responses {statuses}, wanted {case.statuses}"
    if case.closed:
        assert closed, "the server kept the connection open after the answer"
    # A fresh canary request is served (and orders us after the case's hits).
    assert shared_server.canary_ok()
    seen = [(h.method, h.path, h.body_length) for h in shared_server.hits]
    assert seen == list(case.hits)
    assert all(h.path != "/smuggled" for h in shared_server.hits) or any(
        p == "/smuggled" for _, p, _ in case.hits
    )


def test_trailer_fields_never_become_headers(shared_server: Any, raw: Any) -> None:
    del shared_server.hits[:]
    data = CHUNKED + (
        b"\r\n2\r\nok\r\n0\r\nContent-Length: 50\r\nTransfer-Encoding: chunked\r\n"
        b"Host: evil\r\nAuthorization: Basic eA==\r\nContent-Type: text/evil\r\n\r\n"
    )
    responses, _ = raw(shared_server.port, data, expect=1)
    assert [r.status for r in responses] == [200]
    (hit,) = shared_server.hits
    assert hit.body_length == 2
    assert "content-length" not in hit.headers
    assert hit.headers["transfer-encoding"] == ["chunked"]
    assert hit.headers["host"] == ["a"]
    assert "authorization" not in hit.headers
    assert "content-type" not in hit.headers


def test_header_line_one_byte_per_segment_hits_the_same_limit(make_server: Any, raw: Any) -> None:
    """A header delivered in tiny TCP segments is measured like one sent at once."""
    server = make_server(max_header_size=2048, header_timeout=10)
    head = GET + b"X-A: " + b"v" * 3000 + b"\r\n\r\n"
    pieces = [head[:200]] + [head[i : i + 64] for i in range(200, len(head), 64)]
    responses, closed = raw(server.port, pieces, pause=0.0005, timeout=5)
    assert [r.status for r in responses] == [431]
    assert closed
    assert server.hits == []
