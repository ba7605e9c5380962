import datetime
import time

import pytest

from squall.httputil import (
    encode_username_password,
    format_timestamp,
    parse_cookie,
    qs_to_qsl,
    responses,
    split_host_and_port,
    url_concat,
)


def test_url_concat() -> None:
    assert url_concat("http://e.com/foo", {"c": "d"}) == "http://e.com/foo?c=d"
    assert url_concat("http://e.com/foo?a=b", {"c": "d"}) == "http://e.com/foo?a=b&c=d"
    assert (
        url_concat("http://e.com/foo?a=b", [("c", "d"), ("c", "d2")])
        == "http://e.com/foo?a=b&c=d&c=d2"
    )
    assert url_concat("http://e.com/foo?a=", (("b", "x y"),)) == "http://e.com/foo?a=&b=x+y"
    assert url_concat("http://e.com/f", None) == "http://e.com/f"
    assert url_concat("http://e.com/f#frag", {"a": "1"}) == "http://e.com/f?a=1#frag"
    with pytest.raises(TypeError):
        url_concat("http://e.com/", "a=b")  # type: ignore[arg-type]


def test_format_timestamp() -> None:
    expected = "Sun, 27 Jan 2013 18:43:20 GMT"
    ts = 1359312200
    assert format_timestamp(ts) == expected
    assert format_timestamp(float(ts)) == expected
    assert format_timestamp(time.gmtime(ts)) == expected
    assert format_timestamp(tuple(time.gmtime(ts))) == expected
    assert format_timestamp(datetime.datetime(2013, 1, 27, 18, 43, 20)) == expected
    aware = datetime.datetime(
        2013, 1, 27, 19, 43, 20, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
    )
    assert format_timestamp(aware) == expected
    with pytest.raises(TypeError):
        format_timestamp("yesterday")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_timestamp(True)


def test_split_host_and_port() -> None:
    assert split_host_and_port("example.com") == ("example.com", None)
    assert split_host_and_port("example.com:80") == ("example.com", 80)
    assert split_host_and_port("[::1]:8888") == ("[::1]", 8888)
    assert split_host_and_port("[::1]") == ("[::1]", None)
    assert split_host_and_port("::1") == ("::1", None)
    assert split_host_and_port("a:+1") == ("a:+1", None)
    assert split_host_and_port("a:١") == ("a:١", None)
    assert split_host_and_port("a::80") == ("a::80", None)


def test_qs_to_qsl_and_responses() -> None:
    assert list(qs_to_qsl({"a": ["1", "2"], "b": []})) == [("a", "1"), ("a", "2")]
    assert responses[200] == "OK"
    assert responses[404] == "Not Found"
    assert responses[418] == "I'm a Teapot"


def test_parse_cookie_basic() -> None:
    assert parse_cookie("a=1; b=2") == {"a": "1", "b": "2"}
    assert parse_cookie("a=1;b=2 ;  c = 3 ") == {"a": "1", "b": "2", "c": "3"}
    assert parse_cookie("") == {}
    assert parse_cookie(";;") == {}
    assert parse_cookie("novalue") == {"": "novalue"}
    assert parse_cookie("a=b=c") == {"a": "b=c"}
    assert parse_cookie("a=1; a=2") == {"a": "2"}
    assert parse_cookie("a=") == {"a": ""}


def test_parse_cookie_quotes_do_not_swallow_next() -> None:
    # A quote cannot hide the next cookie (browser splitting): _xsrf is its own cookie.
    assert parse_cookie('a="b; _xsrf=evil"') == {"a": '"b', "_xsrf": 'evil"'}
    assert parse_cookie('a="x\\"y"') == {"a": 'x"y'}
    assert parse_cookie('a="\\054\\073"') == {"a": ",;"}
    assert parse_cookie('a="plain"') == {"a": "plain"}
    assert parse_cookie('a="') == {"a": '"'}


def test_parse_cookie_drops_only_bad_cookie() -> None:
    assert parse_cookie("a=1; b=x\x00y; c=3") == {"a": "1", "c": "3"}
    assert parse_cookie("a=1; b\x01=x; c=\x7f") == {"a": "1"}


@pytest.mark.timeout(20)
def test_parse_cookie_linear() -> None:
    hostile = 'a="b=' + "\\" * 200_000 + '"'
    result = parse_cookie(hostile)
    assert list(result) == ["a"]
    many = "; ".join(f"k{i}=v{i}" for i in range(1000))
    assert len(parse_cookie(many)) == 1000
    assert parse_cookie('x="' + '\\"' * 100_000 + '"')["x"] == '"' * 100_000


def test_encode_username_password_round_trips_through_basic_auth() -> None:
    import base64

    token = base64.b64encode(encode_username_password("user", "päss:word"))
    user, _, password = base64.b64decode(token).decode("utf-8").partition(":")
    assert (user, password) == ("user", "päss:word")  # the password may hold ':'
    assert encode_username_password(b"u", b"\xff") == b"u:\xff"


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("us:er", "x", "cannot contain ':'"),
        ("user\r\nX-Injected 1", "x", "username contains a control character"),
        ("user", "pa\x00ss", "password contains a control character"),
        ("user", "pa\x7fss", "password contains a control character"),
    ],
)
def test_encode_username_password_refuses_ambiguous_credentials(
    username: str, password: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        encode_username_password(username, password)
