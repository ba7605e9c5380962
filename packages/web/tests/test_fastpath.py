"""The per-request fast path keeps every behaviour of the plain one.

The access log's records are made by copying a template (see
squall/web/_accesslog.py): each one is compared here, attribute by
attribute, with a record made by ``logging.LogRecord`` from the same inputs,
on the first request (the stock path) and on later ones (the copy), at each
level, in another thread and in a forked child. A record factory installed
by the application is honoured. Routing is inlined for the usual
one-host application: an `Application` subclass that overrides
``find_handler`` still decides. The default ETag is SHA-1 as hashlib
computes it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from squall.web import Application, HTTPError, RequestHandler

# Fields a record computes from the clock; compared separately.
_TIME_FIELDS = ("created", "msecs", "relativeCreated")
# Fields a Formatter adds to a record it formats.
_FORMATTED = ("message", "asctime")

_last_handler: dict[str, RequestHandler] = {}


class Hello(RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.write(b"Hello, world!")

    def on_finish(self) -> None:
        _last_handler["hello"] = self


class Parts(RequestHandler):
    def get(self) -> None:
        self.write("first part, ")
        self.write(b"second part")


class Echo(RequestHandler):
    def get(self) -> None:
        self.write(self.get_argument("text") * int(self.get_argument("times", "1")))


class Boom(RequestHandler):
    def get(self) -> None:
        raise HTTPError(503)


class Routed(RequestHandler):
    def initialize(self, how: str) -> None:
        self.how = how

    def get(self, *args: Any) -> None:
        self.write(f"{self.how}:{','.join(args)}")


class RoutingApplication(Application):
    """Routes ``/custom/...`` itself, everything else as usual."""

    def find_handler(self, request: Any) -> Any:
        if request.path.startswith("/custom/"):
            return Routed, {"how": "custom"}, [request.path[8:].encode()], {}
        return super().find_handler(request)


_HANDLERS: list[Any] = [
    (r"/", Hello),
    (r"/parts", Parts),
    (r"/boom", Boom),
    (r"/echo", Echo),
    (r"/item/([0-9]+)", Routed, {"how": "pattern"}),
]


@pytest.fixture(params=["plain", "own-find-handler"])
def app(request: pytest.FixtureRequest) -> Application:
    if request.param == "plain":
        return Application(_HANDLERS)
    return RoutingApplication(_HANDLERS)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def access_records() -> Iterator[list[logging.LogRecord]]:
    """Every ``squall.access`` record of the test, at every level."""
    logger = logging.getLogger("squall.access")
    handler = _Records()
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def _wait_for(records: list[logging.LogRecord], count: int) -> None:
    """The line is written right after the response; allow for that (bounded)."""
    for _ in range(400):
        if len(records) >= count:
            return
        time.sleep(0.005)
    raise AssertionError(f"expected {count} access records, got {len(records)}")


def _stock_twin(record: logging.LogRecord) -> logging.LogRecord:
    """The record ``logging.LogRecord`` makes from the same inputs, now."""
    return logging.LogRecord(
        record.name,
        record.levelno,
        record.pathname,
        record.lineno,
        record.msg,
        record.args,
        None,
        record.funcName,
    )


def _assert_as_stock(record: logging.LogRecord, before: float, after: float) -> None:
    twin = _stock_twin(record)
    # Formatters of other handlers (pytest's) may have added these.
    mine = {k: v for k, v in vars(record).items() if k not in _TIME_FIELDS + _FORMATTED}
    stock = {k: v for k, v in vars(twin).items() if k not in _TIME_FIELDS}
    assert mine == stock
    assert type(record) is type(twin)
    assert before <= record.created <= after
    assert record.msecs == int((record.created - int(record.created)) * 1000)
    # relativeCreated counts from the same origin as the stock record's.
    expected = twin.relativeCreated - (twin.created - record.created) * 1000
    assert abs(record.relativeCreated - expected) < 1.0


def test_access_records_equal_stock_records(fetch, access_records):
    before = time.time()
    for _ in range(3):  # the first makes the template, the others copy it
        assert fetch("/").code == 200
    _wait_for(access_records, 3)
    after = time.time()
    for record in access_records:
        _assert_as_stock(record, before, after)
        assert record.levelno == logging.INFO
        assert record.funcName == "log_request"
        assert record.module == "_application"
        assert record.args[:4] == (200, "GET", "/", "127.0.0.1")
        assert record.getMessage().startswith("200 GET / (127.0.0.1) ")
        assert record.getMessage().endswith("ms")


def test_access_records_at_each_level(fetch, access_records):
    before = time.time()
    codes = []
    for path in ("/missing", "/missing", "/boom", "/boom", "/", "/"):
        codes.append(fetch(path).code)
    assert codes == [404, 404, 503, 503, 200, 200]
    _wait_for(access_records, 6)
    after = time.time()
    levels = [r.levelno for r in access_records]
    assert levels == [logging.WARNING] * 2 + [logging.ERROR] * 2 + [logging.INFO] * 2
    assert [r.levelname for r in access_records] == [logging.getLevelName(n) for n in levels]
    for record in access_records:
        _assert_as_stock(record, before, after)


def test_each_record_is_a_new_object_with_its_own_arguments(fetch, access_records):
    fetch("/")
    fetch("/item/7")
    _wait_for(access_records, 2)
    first, second = access_records
    assert first is not second
    assert first.args[2] == "/" and second.args[2] == "/item/7"
    assert first.getMessage().startswith("200 GET / ")


def test_a_record_factory_of_the_application_is_used(fetch, access_records):
    stock_factory = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = stock_factory(*args, **kwargs)
        record.tenant = "blue"  # type: ignore[attr-defined]
        return record

    fetch("/")  # a template made before the factory is installed
    logging.setLogRecordFactory(factory)
    try:
        fetch("/")
        fetch("/")
    finally:
        logging.setLogRecordFactory(stock_factory)
    _wait_for(access_records, 3)
    assert [getattr(r, "tenant", None) for r in access_records] == [None, "blue", "blue"]


def test_records_made_in_another_thread_name_that_thread(fetch, access_records):
    fetch("/")
    fetch("/")
    _wait_for(access_records, 2)
    handler = _last_handler["hello"]
    seen: dict[str, Any] = {}

    def log_here() -> None:
        seen["ident"] = threading.get_ident()
        handler.application.log_request(handler)

    thread = threading.Thread(target=log_here, name="access-log-elsewhere")
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    record = access_records[-1]
    assert len(access_records) == 3
    assert record.thread == seen["ident"]
    assert record.threadName == "access-log-elsewhere"
    # And back in this thread, this thread's name again.
    handler.application.log_request(handler)
    assert access_records[-1].threadName == threading.current_thread().name


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_logs_its_own_process_id(fetch, access_records):
    fetch("/")
    fetch("/")
    _wait_for(access_records, 2)
    assert access_records[-1].process == os.getpid()
    handler = _last_handler["hello"]
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: log one line, report its pid, leave at once
        status = 1
        try:
            os.close(read_end)
            handler.application.log_request(handler)
            record = access_records[-1]
            os.write(write_end, f"{record.process} {os.getpid()}".encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        reported = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            chunk = os.read(read_end, 100)
            if not chunk:
                break
            reported += chunk
    finally:
        os.close(read_end)
        for _ in range(1000):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.01)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            raise AssertionError("the forked child did not exit")
    assert os.waitstatus_to_exitcode(status) == 0
    logged, actual = reported.decode().split()
    assert logged == actual == str(pid)


def test_default_etag_is_sha1_of_the_whole_body(fetch):
    response = fetch("/parts")
    body = b"first part, second part"
    assert response.body == body
    assert response.headers.get("Etag") == '"' + hashlib.sha1(body).hexdigest() + '"'
    hello = fetch("/")
    assert hello.headers.get("Etag") == '"' + hashlib.sha1(b"Hello, world!").hexdigest() + '"'
    # The ETag it sent matches: a conditional GET gets a 304 without a body.
    again = fetch("/", headers={"If-None-Match": hello.headers.get("Etag")})
    assert again.code == 304 and again.body == b""


def test_each_body_gets_its_own_etag_every_time(fetch):
    # Short bodies, repeated and interleaved, and a long one.
    for text, times in [("a", 1), ("b", 1), ("a", 1), ("b", 1), ("x", 300), ("x", 300)]:
        response = fetch(f"/echo?text={text}&times={times}")
        body = text.encode() * times
        assert response.body == body
        assert response.headers.get("Etag") == '"' + hashlib.sha1(body).hexdigest() + '"'


def test_routing_literal_pattern_and_fallback(app, fetch):
    assert fetch("/").body == b"Hello, world!"
    assert fetch("/item/42").body == b"pattern:42"
    assert fetch("/item/x").code == 404
    custom = fetch("/custom/abc")
    if isinstance(app, RoutingApplication):
        assert custom.body == b"custom:abc"
    else:
        assert custom.code == 404


def test_virtual_hosts_added_later_are_routed(app, fetch):
    assert fetch("/late").code == 404
    app.add_handlers(r"virtual\.example", [(r"/", Routed, {"how": "virtual"})])
    app.add_handlers(r".*$", [(r"/late", Routed, {"how": "late"})])
    assert fetch("/", headers={"Host": "virtual.example"}).body == b"virtual:"
    assert fetch("/late").body == b"late:"
    assert fetch("/").body == b"Hello, world!"


class SetsRemoteIp(RequestHandler):
    def get(self) -> None:
        self.request.remote_ip = "203.0.113.9"
        self.write("ok")


class ReadsRemoteIp(RequestHandler):
    def get(self) -> None:
        self.write(self.request.remote_ip or "")


def test_access_record_names_the_ip_the_request_reports(serve, access_records):
    # The record reads the client address the way request.remote_ip does:
    # the connection's (X-Real-Ip with xheaders), or what the handler set.
    app = Application([(r"/set", SetsRemoteIp), (r"/read", ReadsRemoteIp), (r"/", Hello)])
    plain = serve(app)
    behind_proxy = serve(app, xheaders=True)
    assert plain("/").code == 200
    assert plain("/set").code == 200
    forwarded = behind_proxy("/read", headers={"X-Real-Ip": "198.51.100.7"})
    assert forwarded.body == b"198.51.100.7"
    assert behind_proxy("/", headers={"X-Real-Ip": "198.51.100.8"}).code == 200
    _wait_for(access_records, 4)
    assert [r.args[3] for r in access_records] == [
        "127.0.0.1",
        "203.0.113.9",
        "198.51.100.7",
        "198.51.100.8",
    ]
    for record in access_records:
        assert 0.0 <= record.args[4] < 60_000.0  # milliseconds, not seconds or an epoch


def test_a_disabled_or_filtering_access_logger_is_honoured(fetch, access_records):
    logger = logging.getLogger("squall.access")
    fetch("/")
    _wait_for(access_records, 1)
    logger.disabled = True
    try:
        fetch("/")
        fetch("/")
    finally:
        logger.disabled = False

    def only_errors(record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING

    logger.addFilter(only_errors)
    try:
        fetch("/")
        fetch("/missing")
    finally:
        logger.removeFilter(only_errors)
    fetch("/parts")
    _wait_for(access_records, 3)
    assert [r.args[2] for r in access_records] == ["/", "/missing", "/parts"]
