import pytest

from squall.httputil import HTTPHeaders, HTTPInputError


def test_case_insensitive_and_normalised() -> None:
    h = HTTPHeaders()
    h["content-TYPE"] = "text/html"
    assert h["Content-Type"] == "text/html"
    assert "CONTENT-type" in h
    assert list(h) == ["Content-Type"]
    assert 42 not in h  # type: ignore[comparison-overlap]


def test_multi_values_join_and_list() -> None:
    h = HTTPHeaders()
    h.add("Set-Cookie", "a=1")
    h.add("set-cookie", "b=2")
    assert h["SET-COOKIE"] == "a=1,b=2"
    assert h.get_list("Set-Cookie") == ["a=1", "b=2"]
    assert list(h.get_all()) == [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
    assert len(h) == 1
    h["Set-Cookie"] = "c=3"
    assert h.get_list("set-cookie") == ["c=3"]
    del h["set-cookie"]
    assert "Set-Cookie" not in h
    assert h.get_list("Set-Cookie") == []


def test_insertion_order_and_str() -> None:
    h = HTTPHeaders()
    h.add("b", "1")
    h.add("A", "2")
    h.add("b", "3")
    assert list(h.get_all()) == [("B", "1"), ("B", "3"), ("A", "2")]
    assert str(h) == "B: 1\r\nB: 3\r\nA: 2\r\n"


def test_underscore_is_not_dash() -> None:
    h = HTTPHeaders()
    h.add("Transfer_Encoding", "chunked")
    assert "Transfer-Encoding" not in h
    assert h["transfer_encoding"] == "chunked"


def test_constructor_forms_and_copy() -> None:
    h = HTTPHeaders({"a": "1"}, b="2")
    assert dict(h.items()) == {"A": "1", "B": "2"}
    h2 = HTTPHeaders([("x", "1"), ("y", "2")])
    assert h2["X"] == "1"
    h.add("a", "3")
    c = h.copy()
    c.add("a", "4")
    assert h.get_list("a") == ["1", "3"]
    assert c.get_list("a") == ["1", "3", "4"]
    c2 = HTTPHeaders(h)
    assert c2.get_list("a") == ["1", "3"]
    assert c2 == h
    assert HTTPHeaders({"a": "1"}) == {"A": "1"}
    assert HTTPHeaders({"a": "1"}) != {"A": "2"}
    assert h.get("missing", "d") == "d"
    assert h.get("a") == "1,3"
    assert "HTTPHeaders(" in repr(h)


def test_parse() -> None:
    h = HTTPHeaders.parse(
        "Content-Type: text/html\r\nX-Multi: a\r\nx-multi:  b \t\r\n\r\n"
    )
    assert h["content-type"] == "text/html"
    assert h.get_list("X-Multi") == ["a", "b"]
    # Lines ending in a bare LF are accepted by this helper.
    assert HTTPHeaders.parse("A: 1\nB: 2\n")["b"] == "2"


@pytest.mark.parametrize(
    "text",
    [
        "A: 1\r\n continued\r\n",
        "NoColon\r\n",
        "Bad Name: x\r\n",
        "Name : x\r\n",
        ": x\r\n",
        "A: x\x00y\r\n",
        "A: x\ry\r\n",
        "A\x7f: 1\r\n",
        "A: \x0bchunked\r\n",
    ],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(HTTPInputError):
        HTTPHeaders.parse(text)


def test_only_sp_htab_stripped() -> None:
    h = HTTPHeaders.parse("A: \xa0x\x85\r\n")
    assert h["A"] == "\xa0x\x85"


@pytest.mark.timeout(20)
def test_linear_for_repeated_names() -> None:
    # Many repeated names: each add is O(1); joining happens on read.
    h = HTTPHeaders()
    n = 200_000
    for _ in range(n):
        h.add("X-Foo", "bar")
    assert len(h.get_list("X-Foo")) == n
    assert len(h["X-Foo"]) == 4 * n - 1


def test_parse_line_endings_and_repr_sentinels() -> None:
    h = HTTPHeaders()
    h.parse_line("A: 1\r\n")
    h.parse_line("B: 2\n")
    h.parse_line("C: 3")
    assert dict(h.items()) == {"A": "1", "B": "2", "C": "3"}
    assert (h == 5) is False


def test_from_pairs_keeps_every_value_in_order() -> None:
    h = HTTPHeaders.from_pairs(
        [("content-type", "text/plain"), ("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("X-A", "")]
    )
    assert isinstance(h, HTTPHeaders)
    assert list(h) == ["Content-Type", "Set-Cookie", "X-A"]
    assert h.get_list("Set-Cookie") == ["a=1", "b=2"]
    assert h["x-a"] == ""
    # The same as adding the pairs one by one.
    slow = HTTPHeaders()
    for name, value in [("content-type", "text/plain"), ("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("X-A", "")]:
        slow.add(name, value)
    assert h == slow and list(h.get_all()) == list(slow.get_all())
    assert HTTPHeaders.from_pairs(iter([])) == HTTPHeaders()
    h.add("X-B", "1")  # an ordinary, mutable HTTPHeaders
    assert h.copy()["X-B"] == "1"
