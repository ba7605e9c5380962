"""squall.routing: rule routers behind the real server, and Applications with rules."""

from __future__ import annotations

import asyncio
import json

import pytest

from squall.httputil import HTTPHeaders, HTTPMessageDelegate, ResponseStartLine
from squall.routing import (
    AnyMatches,
    DefaultHostMatches,
    HostMatches,
    Matcher,
    PathMatches,
    ReversibleRouter,
    ReversibleRuleRouter,
    Router,
    Rule,
    RuleRouter,
    URLSpec,
)
from squall.testing import wait_until
from squall.web import Application, RequestHandler, stream_request_body, url
from squall.web import URLSpec as WebURLSpec


class Named(RequestHandler):
    """Answers with its configured name, the path groups and the host name."""

    def initialize(self, name="?"):
        self.name = name

    def get(self, *args, **kwargs):
        self.write(
            {"name": self.name, "args": list(args), "kwargs": kwargs, "host": self.request.host_name}
        )


def body_of(response):
    return json.loads(response.body)


def answer_text(request, text, code=200):
    """Write a whole plain-text response on the request's connection."""
    data = text.encode()
    headers = HTTPHeaders({"Content-Type": "text/plain", "Content-Length": str(len(data))})
    request.connection.write_headers(ResponseStartLine("HTTP/1.1", code, "OK"), headers, data)
    request.connection.finish()


api_app = Application([(r"/api/items/(\d+)", Named, {"name": "api"}, "item")])
main_app = Application([(r"/", Named, {"name": "main"}), (r"/about", Named, {"name": "about"})])
admin_app = Application([(r"/.*", Named, {"name": "admin"})])


# -- RuleRouter behind HTTPServer ------------------------------------------


@pytest.fixture
def app():
    return RuleRouter(
        [
            Rule(HostMatches(r"admin\.example\.com"), admin_app),
            Rule(PathMatches(r"/api/.*"), api_app),
            (r"/echo", lambda request: answer_text(request, f"{request.method} {request.body!r}")),
            Rule(AnyMatches(), main_app),
        ]
    )


def test_rule_router_dispatches_by_path(fetch):
    assert body_of(fetch("/api/items/7"))["name"] == "api"
    assert body_of(fetch("/api/items/7"))["args"] == ["7"]
    assert body_of(fetch("/"))["name"] == "main"
    assert body_of(fetch("/about"))["name"] == "about"


def test_rule_router_dispatches_by_host(fetch):
    # The host rule comes first, so it wins even for /api/ paths.
    response = fetch("/api/items/7", headers={"Host": "admin.example.com:8080"})
    assert body_of(response) == {
        "name": "admin",
        "args": [],
        "kwargs": {},
        "host": "admin.example.com",
    }
    # The host pattern is anchored at both ends.
    assert body_of(fetch("/", headers={"Host": "admin.example.com.evil"}))["name"] == "main"
    assert body_of(fetch("/", headers={"Host": "xadmin.example.com"}))["name"] == "main"


def test_unknown_path_inside_a_nested_application_is_its_404(fetch):
    # The api application is the target; its own error page answers.
    response = fetch("/api/nothing")
    assert response.code == 404
    assert b"404: Not Found" in response.body


def test_plain_callable_target_gets_the_whole_body(fetch):
    response = fetch("/echo", method="POST", body="a=1&b=2")
    assert response.code == 200
    assert response.body == b"POST b'a=1&b=2'"


async def test_callable_target_may_be_a_coroutine_function(serve):
    async def slow(request):
        await asyncio.sleep(0)
        answer_text(request, "slow " + request.path)

    fetch = serve(RuleRouter([(r"/slow/.*", slow)]))
    response = await fetch("/slow/x")
    assert response.body == b"slow /slow/x"


def test_bare_rule_router_answers_404_for_no_match(serve):
    fetch = serve(RuleRouter([(r"/only", main_app)]))
    assert fetch("/").code == 404
    response = fetch("/other", method="POST", body="x" * 1000)
    assert response.code == 404
    # The same connection logic still serves matching requests.
    assert fetch("/only").code == 404  # main_app has no /only: its own 404
    assert body_of(serve(RuleRouter([(r"/", main_app)]))("/"))["name"] == "main"


def test_nested_rule_lists(serve):
    router = RuleRouter(
        [
            Rule(
                HostMatches(r"a\.test"),
                [
                    (r"/x", lambda request: answer_text(request, "a-x")),
                    Rule(AnyMatches(), lambda request: answer_text(request, "a-any")),
                ],
            ),
            Rule(PathMatches(r"/x"), [(r"/never", main_app)]),  # nested finds nothing
            (r"/x", lambda request: answer_text(request, "outer-x")),
        ]
    )
    fetch = serve(router)
    assert fetch("/x", headers={"Host": "a.test"}).body == b"a-x"
    assert fetch("/y", headers={"Host": "a.test"}).body == b"a-any"
    # When a nested router finds nothing, the next rule is tried.
    assert fetch("/x", headers={"Host": "b.test"}).body == b"outer-x"
    assert fetch("/y", headers={"Host": "b.test"}).code == 404


class MethodRouter(Router):
    """A custom router: GET to one application, everything else to a callable."""

    def __init__(self):
        self.seen = []

    def find_handler(self, request, **kwargs):
        self.seen.append((request.method, request.path))
        if request.method == "GET":
            return main_app.start_request(request.server_connection, request.connection)
        if request.method == "DELETE":
            return None
        return PostDelegate(request)


class PostDelegate(HTTPMessageDelegate):
    def __init__(self, request):
        self.request = request
        self.chunks = []

    def data_received(self, chunk):
        self.chunks.append(chunk)

    def finish(self):
        answer_text(self.request, "got " + b"".join(self.chunks).decode(), code=201)


def test_custom_router_subclass(serve):
    router = MethodRouter()
    fetch = serve(router)
    assert body_of(fetch("/about"))["name"] == "about"
    response = fetch("/anything", method="PUT", body="payload")
    assert (response.code, response.body) == (201, b"got payload")
    assert fetch("/", method="DELETE").code == 404
    assert router.seen == [("GET", "/about"), ("PUT", "/anything"), ("DELETE", "/")]


def test_custom_router_as_a_rule_target_receives_matcher_params(serve):
    calls = []

    class Recorder(Router):
        def find_handler(self, request, **kwargs):
            calls.append(kwargs)
            return PostDelegate(request)

    fetch = serve(RuleRouter([(r"/r/(\d+)", Recorder(), {"opt": 1})]))
    assert fetch("/r/5", method="POST", body="z").body == b"got z"
    assert calls == [{"path_args": [b"5"], "path_kwargs": {}, "target_kwargs": {"opt": 1}}]


# -- matchers ----------------------------------------------------------------


def test_path_matches_groups_are_unquoted(serve):
    app = Application(
        [
            Rule(PathMatches(r"/pos/([^/]+)/(\d+)"), Named),
            Rule(PathMatches(r"/kw/(?P<first>[^/]+)/(?P<second>[^/]*)"), Named),
            Rule(HostMatches(r".*"), [(r"/nested/([^/]+)", Named)]),
        ]
    )
    fetch = serve(app)
    assert body_of(fetch("/pos/caf%C3%A9%2Fx/12"))["args"] == ["café/x", "12"]
    assert body_of(fetch("/kw/a%20b/"))["kwargs"] == {"first": "a b", "second": ""}
    assert body_of(fetch("/nested/%7E"))["args"] == ["~"]
    assert fetch("/pos/a/12x").code == 404  # anchored at the end


def test_path_matches_reverse():
    matcher = PathMatches(r"/u/(\d+)/(?P<x>[a-z]+)")
    assert matcher.reverse(1, "b") == "/u/1/b"
    assert PathMatches(r"/a/(\d+)").reverse("x y") == "/a/x%20y"
    assert PathMatches(r"/a/\d+").reverse() is None  # not a simple pattern
    with pytest.raises(ValueError, match="1 groups"):
        PathMatches(r"/a/(\d+)").reverse()
    assert Matcher().reverse() is None


def test_default_host_matches(serve):
    application = Application(default_host="known.test")
    router = RuleRouter(
        [
            Rule(HostMatches(r"known\.test"), lambda r: answer_text(r, "known")),
            Rule(DefaultHostMatches(application, r"known\.test"), lambda r: answer_text(r, "default")),
        ]
    )
    fetch = serve(router)
    assert fetch("/", headers={"Host": "known.test"}).body == b"known"
    assert fetch("/", headers={"Host": "other.test"}).body == b"default"
    # Requests through a proxy (X-Real-IP) never fall back to the default host.
    assert fetch("/", headers={"Host": "other.test", "X-Real-IP": "10.0.0.1"}).code == 404
    # The application's default host is read at match time.
    application.default_host = "elsewhere.test"
    assert fetch("/", headers={"Host": "other.test"}).code == 404


# -- reverse_url -------------------------------------------------------------


def test_reverse_url_through_nested_routers():
    inner = ReversibleRuleRouter([Rule(PathMatches(r"/deep/(\d+)"), main_app, name="deep")])
    router = ReversibleRuleRouter(
        [
            Rule(PathMatches(r"/top"), main_app, name="top"),
            Rule(HostMatches(r"h\.test"), [Rule(PathMatches(r"/listed/([a-z]+)"), main_app, name="listed")]),
            Rule(AnyMatches(), inner),
            Rule(AnyMatches(), api_app),  # an Application target knows its own names
        ]
    )
    assert isinstance(router, ReversibleRouter)
    assert router.reverse_url("top") == "/top"
    assert router.reverse_url("listed", "abc") == "/listed/abc"
    assert router.reverse_url("deep", 42) == "/deep/42"
    assert router.reverse_url("item", 9) == "/api/items/9"
    assert router.reverse_url("missing") is None


def test_application_reverse_url_reaches_nested_targets():
    inner = ReversibleRuleRouter([Rule(PathMatches(r"/in/(\d+)"), main_app, name="inner")])
    app = Application(
        [
            url(r"/", Named, name="home"),
            Rule(PathMatches(r"/r/.*"), inner),
            Rule(HostMatches(r"h\.test"), [url(r"/nested/(\d+)", Named, name="nested")]),
            Rule(PathMatches(r"/api/.*"), api_app),
        ]
    )
    assert app.reverse_url("home") == "/"
    assert app.reverse_url("inner", 3) == "/in/3"
    assert app.reverse_url("nested", 4) == "/nested/4"
    assert app.reverse_url("item", 5) == "/api/items/5"
    with pytest.raises(KeyError):
        app.reverse_url("missing")


# -- Application with rules ----------------------------------------------------


def test_application_mixes_tuples_and_rules_in_order(serve):
    app = Application(
        [
            (r"/", Named, {"name": "root"}),
            Rule(PathMatches(r"/api/.*"), api_app),
            (r"/api/items/1", Named, {"name": "shadowed"}),  # the rule above wins
            Rule(HostMatches(r"admin\.example\.com"), [(r"/", Named, {"name": "unreached"})]),
            Rule(HostMatches(r"admin\.example\.com"), [(r"/panel", Named, {"name": "panel"})]),
            (r"/plain", lambda request: answer_text(request, "plain callable")),
            (r"/after", Named, {"name": "after"}),
        ]
    )
    fetch = serve(app)
    assert body_of(fetch("/"))["name"] == "root"
    assert body_of(fetch("/api/items/1"))["name"] == "api"
    # "/" is taken by the first tuple on every host; /panel only on the admin host.
    assert body_of(fetch("/", headers={"Host": "admin.example.com"}))["name"] == "root"
    assert body_of(fetch("/panel", headers={"Host": "admin.example.com"}))["name"] == "panel"
    assert fetch("/panel").code == 404
    assert fetch("/plain").body == b"plain callable"
    assert body_of(fetch("/after"))["name"] == "after"
    # Unknown paths: the Application's own error page.
    response = fetch("/nope")
    assert response.code == 404
    assert response.body == b"<html><title>404: Not Found</title><body>404: Not Found</body></html>"


def test_application_rules_in_add_handlers(serve):
    app = Application([(r"/", Named, {"name": "main"})])
    app.add_handlers(r"api\.test", [Rule(PathMatches(r"/v1/.*"), api_app), (r"/own", Named)])
    fetch = serve(app)
    assert body_of(fetch("/", headers={"Host": "other.test"}))["name"] == "main"
    assert fetch("/v1/x", headers={"Host": "api.test"}).code == 404  # api_app's own 404
    assert body_of(fetch("/own", headers={"Host": "api.test"}))["name"] == "?"


def test_rule_with_handler_class_and_path_is_a_url_spec():
    app = Application([Rule(PathMatches(r"/x/(\d+)"), Named, {"name": "n"}, "x")])
    assert app.reverse_url("x", 1) == "/x/1"
    assert URLSpec is WebURLSpec
    spec = url(r"/a/(\d+)", Named, {"name": "a"}, "a")
    assert isinstance(spec, Rule)
    assert isinstance(spec.matcher, PathMatches)
    assert (spec.target, spec.target_kwargs, spec.reverse(5)) == (Named, {"name": "a"}, "/a/5")


# -- streaming ---------------------------------------------------------------

stream_events: list[object] = []


@stream_request_body
class StreamingUpload(RequestHandler):
    def prepare(self):
        stream_events.append("prepare")
        self.size = 0

    def data_received(self, chunk):
        stream_events.append(len(chunk))
        self.size += len(chunk)

    def put(self):
        self.write({"size": self.size})


@pytest.mark.parametrize("outer", ["rule_router", "application"])
async def test_streaming_handler_behind_a_router_still_streams(serve, outer):
    inner = Application([(r"/up", StreamingUpload)])
    if outer == "rule_router":
        router = RuleRouter([Rule(PathMatches(r"/up"), inner)])
    else:
        router = Application([Rule(HostMatches(r".*"), inner)])
    fetch = serve(router)
    stream_events.clear()
    reader, writer = await asyncio.open_connection("127.0.0.1", fetch.port)
    try:
        writer.write(
            b"PUT /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n" + b"a" * 4
        )
        await writer.drain()
        # The handler sees the first piece while the rest is still unsent.
        await wait_until(lambda: 4 in stream_events, timeout=5)
        assert stream_events[0] == "prepare"
        writer.write(b"b" * 6)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200")
        length = int(
            next(
                line.split(b":")[1]
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
        )
        body = await asyncio.wait_for(reader.readexactly(length), 5)
        assert json.loads(body) == {"size": 10}
    finally:
        writer.close()
        await writer.wait_closed()


# -- strict errors -----------------------------------------------------------


def test_constructor_errors():
    with pytest.raises(TypeError, match="42"):
        RuleRouter([(r"/", 42)])
    with pytest.raises(TypeError, match="RequestHandler subclasses are targets of squall.web.Application"):
        RuleRouter([(r"/", Named)])
    with pytest.raises(TypeError, match="cannot route to '/'"):
        Application([Rule(HostMatches("x"), "os.sep")])  # a dotted name of a str: not a target
    with pytest.raises(TypeError, match="cannot route to 3"):
        Application([Rule(AnyMatches(), 3)])
    with pytest.raises(TypeError, match="cannot route to"):
        Application([(r"/", object())])
    with pytest.raises(ValueError, match=r"\(unclosed"):
        RuleRouter([(r"/(unclosed", main_app)])
    with pytest.raises(ValueError, match=r"\[bad"):
        HostMatches(r"[bad")
    with pytest.raises(ValueError, match=r"/\(x"):
        Application([Rule(PathMatches(r"/(x"), Named)])
    with pytest.raises(TypeError, match="Matcher"):
        Rule("/path", main_app)
    with pytest.raises(TypeError, match="tuple"):
        RuleRouter([main_app])
    with pytest.raises(ValueError, match="'dup'"):
        ReversibleRuleRouter([Rule(AnyMatches(), main_app, name="dup"), Rule(AnyMatches(), api_app, name="dup")])
