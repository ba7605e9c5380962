"""permessage-deflate negotiation (RFC 7692 section 5 and 7.1)."""

from __future__ import annotations

from typing import Any

import pytest

from squall.websocket import WebSocketHandshakeError
from squall.websocket._deflate import (
    accept_response,
    client_offer,
    negotiate_server,
    parse_extensions,
    validate_compression_options,
)


def opts(**kw: Any) -> dict[str, Any]:
    return validate_compression_options(kw)


def test_parse_extensions_grammar() -> None:
    parsed = parse_extensions(
        ['permessage-deflate; client_max_window_bits; server_max_window_bits="10", x-foo',
         "bar ;  a = b"]
    )
    assert parsed == [
        ("permessage-deflate", [("client_max_window_bits", None), ("server_max_window_bits", "10")]),
        ("x-foo", []),
        ("bar", [("a", "b")]),
    ]
    assert parse_extensions([", ,"]) == []


@pytest.mark.parametrize(
    "value",
    ["permessage-deflate;", "a; b=", 'a; b="unterminated', "a b", 'a; b="two words"', "a;;b", "@"],
)
def test_parse_extensions_rejects_malformed_headers(value: str) -> None:
    with pytest.raises(ValueError):
        parse_extensions([value])


def test_parse_extensions_is_linear_on_hostile_input() -> None:
    # Many parameters and separators: completes (no backtracking).
    value = "a" + "; p" * 50_000
    assert len(parse_extensions([value])[0][1]) == 50_000


def test_server_accepts_a_plain_offer() -> None:
    agreed = negotiate_server(["permessage-deflate"], opts())
    assert agreed is not None
    assert agreed[0] == "permessage-deflate"
    assert agreed[1].can_compress and not agreed[1].compress_no_takeover


def test_server_ignores_other_extensions_and_declines_nothing_offered() -> None:
    assert negotiate_server(["x-webkit-deflate-frame"], opts()) is None
    assert negotiate_server([], opts()) is None


def test_server_honours_offer_parameters() -> None:
    agreed = negotiate_server(
        ["permessage-deflate; server_no_context_takeover; server_max_window_bits=10; "
         "client_no_context_takeover"],
        opts(),
    )
    assert agreed is not None
    header, state = agreed
    params = set(header.split("; "))
    assert params == {
        "permessage-deflate",
        "server_no_context_takeover",
        "client_no_context_takeover",
        "server_max_window_bits=10",
    }
    assert state.compress_bits == 10 and state.compress_no_takeover


def test_server_limits_client_window_only_when_offered() -> None:
    agreed = negotiate_server(
        ["permessage-deflate; client_max_window_bits"], opts(client_max_window_bits=11)
    )
    assert agreed is not None and "client_max_window_bits=11" in agreed[0]
    agreed = negotiate_server(["permessage-deflate"], opts(client_max_window_bits=11))
    assert agreed is not None and "client_max_window_bits" not in agreed[0]
    agreed = negotiate_server(
        ["permessage-deflate; client_max_window_bits=9"], opts(client_max_window_bits=11)
    )
    assert agreed is not None and "client_max_window_bits=9" in agreed[0]


def test_server_options_can_request_no_context_takeover() -> None:
    agreed = negotiate_server(["permessage-deflate"], opts(server_no_context_takeover=True))
    assert agreed is not None
    assert "server_no_context_takeover" in agreed[0] and agreed[1].compress_no_takeover


def test_server_window_8_sends_uncompressed() -> None:
    agreed = negotiate_server(["permessage-deflate; server_max_window_bits=8"], opts())
    assert agreed is not None
    assert "server_max_window_bits=8" in agreed[0]
    assert not agreed[1].can_compress


@pytest.mark.parametrize(
    "bad",
    [
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; unknown_param",
    ],
)
def test_server_declines_invalid_offers_and_takes_the_next(bad: str) -> None:
    assert negotiate_server([bad], opts()) is None
    agreed = negotiate_server([bad + ", permessage-deflate; client_no_context_takeover"], opts())
    assert agreed is not None and "client_no_context_takeover" in agreed[0]


def test_client_offer_and_response() -> None:
    options = opts()
    offer = client_offer(options)
    assert offer == "permessage-deflate; client_max_window_bits"
    state = accept_response(["permessage-deflate; client_max_window_bits=10"], options)
    assert state is not None and state.compress_bits == 10
    assert accept_response([], options) is None


def test_client_rejects_unoffered_or_invalid_answers() -> None:
    with pytest.raises(WebSocketHandshakeError):
        accept_response(["permessage-deflate"], {})
    with pytest.raises(WebSocketHandshakeError):
        accept_response(["x-other"], opts())
    with pytest.raises(WebSocketHandshakeError):
        accept_response(["permessage-deflate; client_max_window_bits"], opts())
    with pytest.raises(WebSocketHandshakeError):
        accept_response(["permessage-deflate, permessage-deflate"], opts())
    options = opts(server_max_window_bits=10)
    with pytest.raises(WebSocketHandshakeError):
        accept_response(["permessage-deflate; server_max_window_bits=12"], options)
    with pytest.raises(WebSocketHandshakeError):
        accept_response(["permessage-deflate"], opts(server_no_context_takeover=True))


@pytest.mark.parametrize(
    "options",
    [
        {"compression_level": 10},
        {"mem_level": 0},
        {"server_max_window_bits": 8},
        {"client_no_context_takeover": "yes"},
        {"bogus": 1},
    ],
)
def test_invalid_compression_options(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        validate_compression_options(options)
