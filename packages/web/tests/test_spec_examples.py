"""The spec's examples, with ``tornado`` renamed to ``squall``, run over real HTTP.

Each test keeps the example's code as written (completing fragments
minimally) and checks what the spec says it does.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import textwrap
import urllib.parse
from typing import Any

import pytest

import squall.escape
import squall.ioloop
import squall.locale
import squall.web
from squall.testing import wait_until
from squall.web import Application, RequestHandler

SECRET = "61oETzKXQAGaYdkL5gEmGeJJFuYh7EQnp2XdTP1o/Vo="


def cookie_header(response: Any) -> str:
    """The Cookie header a browser would send back after ``response``."""
    pairs = []
    for value in response.headers.get_list("Set-Cookie"):
        pairs.append(value.split(";", 1)[0])
    return "; ".join(pairs)


# -- Hello, world --------------------------------------------------------


class HelloHandler(squall.web.RequestHandler):
    def get(self):
        self.write("Hello, world")


@pytest.mark.parametrize("app", [squall.web.Application([(r"/", HelloHandler)])])
def test_hello_world(fetch):
    response = fetch("/")
    assert response.code == 200
    assert response.body == b"Hello, world"


# -- Request handlers and request arguments --------------------------------


class MainHandler(squall.web.RequestHandler):
    def get(self):
        self.write("You requested the main page")


class StoryHandler(squall.web.RequestHandler):
    def get(self, story_id):
        self.write("You requested the story " + story_id)


class MyFormHandler(squall.web.RequestHandler):
    def get(self):
        self.write(
            '<html><body><form action="/myform" method="post">'
            '<input type="text" name="message">'
            '<input type="submit" value="Submit">'
            "</form></body></html>"
        )

    def post(self):
        self.set_header("Content-Type", "text/plain")
        self.write("You wrote " + self.get_argument("message"))


class ProtectedHandler(squall.web.RequestHandler):
    def user_is_logged_in(self):
        return self.get_argument("user", None) == "ada"

    def get(self):
        if not self.user_is_logged_in():
            raise squall.web.HTTPError(403)
        self.write("secret")


class RequestInfoHandler(squall.web.RequestHandler):
    def post(self):
        upload = self.request.files["upload"][0]
        self.write(
            {
                "arguments": sorted(self.request.arguments),
                "path": self.request.path,
                "agent": self.request.headers["User-Agent"],
                "filename": upload["filename"],
                "content_type": upload["content_type"],
                "body": upload["body"].decode(),
            }
        )


request_app = squall.web.Application(
    [
        (r"/", MainHandler),
        (r"/story/([0-9]+)", StoryHandler),
        (r"/myform", MyFormHandler),
        (r"/protected", ProtectedHandler),
        (r"/info", RequestInfoHandler),
    ]
)


@pytest.mark.parametrize("app", [request_app])
def test_story_handler_gets_regex_group(fetch):
    assert fetch("/").body == b"You requested the main page"
    assert fetch("/story/42").body == b"You requested the story 42"
    assert fetch("/story/abc").code == 404


@pytest.mark.parametrize("app", [request_app])
def test_form_handler_get_argument(fetch):
    page = fetch("/myform")
    assert b'name="message"' in page.body
    response = fetch(
        "/myform",
        method="POST",
        body="message=hi+there%21",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.body == b"You wrote hi there!"
    assert response.headers["Content-Type"] == "text/plain"


@pytest.mark.parametrize("app", [request_app])
def test_form_handler_missing_argument_is_400(fetch):
    response = fetch("/myform", method="POST", body="other=1")
    assert response.code == 400


@pytest.mark.parametrize("app", [request_app])
def test_raise_http_error_403(fetch):
    assert fetch("/protected").code == 403
    assert fetch("/protected?user=ada").body == b"secret"


@pytest.mark.parametrize("app", [request_app])
def test_request_attributes_and_files(fetch):
    boundary = "XyZ"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="field"\r\n\r\n'
        "value\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="upload"; filename="a.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
        "file body\r\n"
        f"--{boundary}--\r\n"
    )
    response = fetch(
        "/info?q=1",
        method="POST",
        body=body,
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "User-Agent": "spec-test",
        },
    )
    assert response.code == 200, response.body
    data = json.loads(response.body)
    assert data == {
        "arguments": ["field", "q"],
        "path": "/info",
        "agent": "spec-test",
        "filename": "a.txt",
        "content_type": "text/plain",
        "body": "file body",
    }


# -- Overriding RequestHandler methods -------------------------------------


class FakeDatabase:
    def __init__(self) -> None:
        self.users = {"ada": "Ada Lovelace"}


database = FakeDatabase()


class ProfileHandler(RequestHandler):
    def initialize(self, database):
        self.database = database

    def get(self, username):
        self.write(self.database.users.get(username, "unknown"))


events: list[str] = []


class LifecycleHandler(RequestHandler):
    def initialize(self, tag):
        events.append("initialize:" + tag)

    def prepare(self):
        events.append("prepare")
        if self.get_argument("stop", None):
            self.finish("stopped in prepare")

    def get(self):
        events.append("get")
        self.write("ok")

    def on_finish(self):
        events.append("on_finish")


class CustomHeadersHandler(RequestHandler):
    def set_default_headers(self):
        self.set_header("Server", "MyServer/1.0")

    def get_template_path(self):
        return "/nonexistent"

    def get(self):
        self.write(self.get_template_path())


@pytest.mark.parametrize(
    "app",
    [
        Application(
            [
                (r"/user/(.*)", ProfileHandler, dict(database=database)),
                (r"/life", LifecycleHandler, dict(tag="x")),
                (r"/headers", CustomHeadersHandler),
            ]
        )
    ],
)
async def test_initialize_and_lifecycle(fetch):
    assert (await fetch("/user/ada")).body == b"Ada Lovelace"
    events.clear()
    assert (await fetch("/life")).body == b"ok"
    # on_finish runs just after the response is handed to the connection.
    await wait_until(lambda: len(events) == 4)
    assert events == ["initialize:x", "prepare", "get", "on_finish"]
    events.clear()
    assert (await fetch("/life?stop=1")).body == b"stopped in prepare"
    await wait_until(lambda: len(events) == 3)
    assert events == ["initialize:x", "prepare", "on_finish"]
    response = await fetch("/headers")
    assert response.headers["Server"] == "MyServer/1.0"
    assert response.body == b"/nonexistent"


# -- Error Handling -----------------------------------------------------------


class StatusHandler(RequestHandler):
    def get(self):
        self.set_status(418)
        self.write("I am a teapot, manually")


class SendErrorHandler(RequestHandler):
    def get(self):
        self.write("this is discarded")
        self.send_error(503)


class RaiseHandler(RequestHandler):
    def get(self):
        raise ValueError("boom")


class CustomErrorHandler(RequestHandler):
    def get(self):
        raise squall.web.HTTPError(402)

    def write_error(self, status_code, **kwargs):
        import traceback

        self.set_header("Content-Type", "text/plain")
        lines = traceback.format_exception(*kwargs["exc_info"])
        self.write(f"custom {status_code}: {lines[-1].strip()}")


class LegacyErrorHtmlHandler(RequestHandler):
    def get(self):
        raise squall.web.HTTPError(404)

    def get_error_html(self, status_code, **kwargs):
        return f"<h1>legacy page for {status_code}</h1>"


error_app = Application(
    [
        (r"/status", StatusHandler),
        (r"/send_error", SendErrorHandler),
        (r"/raise", RaiseHandler),
        (r"/custom", CustomErrorHandler),
        (r"/legacy", LegacyErrorHtmlHandler),
    ]
)


@pytest.mark.parametrize("app", [error_app])
def test_error_handling_three_ways(fetch):
    response = fetch("/status")
    assert (response.code, response.body) == (418, b"I am a teapot, manually")
    response = fetch("/send_error")
    assert response.code == 503
    assert b"discarded" not in response.body
    assert response.body == (
        b"<html><title>503: Service Unavailable</title>"
        b"<body>503: Service Unavailable</body></html>"
    )
    response = fetch("/raise")
    assert response.code == 500
    assert response.body == (
        b"<html><title>500: Internal Server Error</title>"
        b"<body>500: Internal Server Error</body></html>"
    )
    assert b"boom" not in response.body


@pytest.mark.parametrize("app", [error_app])
def test_custom_write_error_gets_exc_info(fetch):
    response = fetch("/custom")
    assert response.code == 402
    assert response.body.startswith(b"custom 402: ")
    assert b"HTTPError" in response.body


@pytest.mark.parametrize("app", [error_app])
def test_legacy_get_error_html(fetch):
    response = fetch("/legacy")
    assert response.code == 404
    assert response.body == b"<h1>legacy page for 404</h1>"


@pytest.mark.parametrize(
    "app", [Application([(r"/raise", RaiseHandler)], debug=True, autoreload=False)]
)
def test_debug_shows_traceback(fetch):
    response = fetch("/raise")
    assert response.code == 500
    assert b"Traceback" in response.body
    assert b"ValueError: boom" in response.body


# -- Redirection ----------------------------------------------------------------


class CanonicalHandler(RequestHandler):
    def get(self):
        self.redirect("/some-canonical-page", permanent=True)


class PostThenRedirectHandler(RequestHandler):
    def post(self):
        self.redirect("/done")


class ContentHandler(RequestHandler):
    def get(self, name):
        self.write("content " + name)


settings: dict[str, Any] = {}
redirect_app = squall.web.Application(
    [
        (r"/canonical", CanonicalHandler),
        (r"/post", PostThenRedirectHandler),
        (r"/([a-z]*)", ContentHandler),
        (
            r"/static/tornado-0.2.tar.gz",
            squall.web.RedirectHandler,
            dict(url="http://github.com/downloads/facebook/tornado/tornado-0.2.tar.gz"),
        ),
        (r"/foo", squall.web.RedirectHandler, {"url": "/bar", "permanent": False}),
    ],
    **settings,
)


@pytest.mark.parametrize("app", [redirect_app])
def test_self_redirect(fetch):
    response = fetch("/canonical")
    assert response.code == 301
    assert response.headers["Location"] == "/some-canonical-page"
    response = fetch("/post", method="POST", body="")
    assert response.code == 302
    assert response.headers["Location"] == "/done"


@pytest.mark.parametrize("app", [redirect_app])
def test_redirect_handler(fetch):
    response = fetch("/static/tornado-0.2.tar.gz")
    assert response.code == 301
    assert response.headers["Location"] == (
        "http://github.com/downloads/facebook/tornado/tornado-0.2.tar.gz"
    )
    response = fetch("/foo")
    # "/foo" matches "/([a-z]*)" first: the rules are tried in order.
    assert response.body == b"content foo"


@pytest.mark.parametrize(
    "app",
    [
        squall.web.Application(
            [(r"/foo", squall.web.RedirectHandler, {"url": "/bar", "permanent": False})]
        )
    ],
)
def test_redirect_handler_not_permanent(fetch):
    response = fetch("/foo")
    assert response.code == 302
    assert response.headers["Location"] == "/bar"


def test_redirect_example_with_wsgi_application():
    wsgi = pytest.importorskip("squall.wsgi")
    if not hasattr(wsgi, "WSGIApplication"):
        pytest.skip("squall.wsgi.WSGIApplication is not written yet")
    application = wsgi.WSGIApplication(
        [(r"/foo", squall.web.RedirectHandler, {"url": "/bar", "permanent": False})], **settings
    )
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = status
        seen["headers"] = dict(headers)

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/foo",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": __import__("io").BytesIO(b""),
    }
    b"".join(application(environ, start_response))
    assert seen["status"].startswith("302")
    assert seen["headers"]["Location"] == "/bar"


# -- Templates --------------------------------------------------------------------

TEMPLATE = """<html>
   <head>
      <title>{{ title }}</title>
   </head>
   <body>
     <ul>
       {% for item in items %}
         <li>{{ escape(item) }}</li>
       {% end %}
     </ul>
   </body>
 </html>
"""

HANDLER_MODULE = '''
import squall.web

class MainHandler(squall.web.RequestHandler):
    def get(self):
        items = ["Item 1", "Item 2", "Item 3"]
        self.render("template.html", title="My title", items=items)
'''


@pytest.fixture
def app(request, tmp_path):
    """Default app fixture: the template example, loaded from a file beside it."""
    (tmp_path / "template.html").write_text(TEMPLATE)
    (tmp_path / "spec_template_app.py").write_text(HANDLER_MODULE)
    spec = importlib.util.spec_from_file_location(
        "spec_template_app", tmp_path / "spec_template_app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Application([(r"/", module.MainHandler)])


def test_template_next_to_python_file(fetch):
    response = fetch("/")
    assert response.code == 200
    assert b"<title>My title</title>" in response.body
    for item in (b"Item 1", b"Item 2", b"Item 3"):
        assert b"<li>" + item + b"</li>" in response.body


# -- Cookies and secure cookies ------------------------------------------------------


class CookieHandler(squall.web.RequestHandler):
    def get(self):
        if not self.get_cookie("mycookie"):
            self.set_cookie("mycookie", "myvalue")
            self.write("Your cookie was not set yet!")
        else:
            self.write("Your cookie was set!")


class SecureCookieHandler(squall.web.RequestHandler):
    def get(self):
        if not self.get_secure_cookie("mycookie"):
            self.set_secure_cookie("mycookie", "myvalue")
            self.write("Your cookie was not set yet!")
        else:
            self.write("Your cookie was set!")


cookie_app = squall.web.Application(
    [(r"/", CookieHandler), (r"/secure", SecureCookieHandler)],
    cookie_secret=SECRET,
)


@pytest.mark.parametrize("app", [cookie_app])
def test_cookie_example(fetch):
    first = fetch("/")
    assert first.body == b"Your cookie was not set yet!"
    assert cookie_header(first) == "mycookie=myvalue"
    second = fetch("/", headers={"Cookie": cookie_header(first)})
    assert second.body == b"Your cookie was set!"


@pytest.mark.parametrize("app", [cookie_app])
def test_secure_cookie_example(fetch):
    first = fetch("/secure")
    assert first.body == b"Your cookie was not set yet!"
    sent = cookie_header(first)
    assert sent.startswith("mycookie=") and "myvalue" not in sent
    assert fetch("/secure", headers={"Cookie": sent}).body == b"Your cookie was set!"
    # A forged cookie reads as unset.
    assert fetch("/secure", headers={"Cookie": "mycookie=myvalue"}).body == (
        b"Your cookie was not set yet!"
    )
    tampered = sent[:-1] + ("0" if sent[-1] != "0" else "1")
    assert fetch("/secure", headers={"Cookie": tampered}).body == b"Your cookie was not set yet!"


# -- User authentication --------------------------------------------------------------


class BaseHandler(squall.web.RequestHandler):
    def get_current_user(self):
        return self.get_secure_cookie("user")


class AuthMainHandler(BaseHandler):
    def get(self):
        if not self.current_user:
            self.redirect("/login")
            return
        name = squall.escape.xhtml_escape(self.current_user)
        self.write("Hello, " + name)


class LoginHandler(BaseHandler):
    def get(self):
        self.write(
            '<html><body><form action="/login" method="post">'
            'Name: <input type="text" name="name">'
            '<input type="submit" value="Sign in">'
            "</form></body></html>"
        )

    def post(self):
        self.set_secure_cookie("user", self.get_argument("name"))
        self.redirect("/")


@pytest.mark.parametrize(
    "app",
    [
        squall.web.Application(
            [(r"/", AuthMainHandler), (r"/login", LoginHandler)], cookie_secret=SECRET
        )
    ],
)
def test_login_example(fetch):
    response = fetch("/")
    assert response.code == 302 and response.headers["Location"] == "/login"
    assert b"Sign in" in fetch("/login").body
    login = fetch("/login", method="POST", body="name=<Ada>")
    assert login.code == 302 and login.headers["Location"] == "/"
    home = fetch("/", headers={"Cookie": cookie_header(login)})
    assert home.body == b"Hello, &lt;Ada&gt;"


class AuthenticatedMainHandler(BaseHandler):
    @squall.web.authenticated
    def get(self):
        name = squall.escape.xhtml_escape(self.current_user)
        self.write("Hello, " + name)

    @squall.web.authenticated
    def post(self):
        self.write("posted")


auth_settings = {
    "cookie_secret": SECRET,
    "login_url": "/login",
}
auth_app = squall.web.Application(
    [(r"/", AuthenticatedMainHandler), (r"/login", LoginHandler)], **auth_settings
)


@pytest.mark.parametrize("app", [auth_app])
def test_authenticated_decorator(fetch):
    response = fetch("/?a=1")
    assert response.code == 302
    assert response.headers["Location"] == "/login?" + urllib.parse.urlencode({"next": "/?a=1"})
    assert fetch("/", method="POST", body="").code == 403
    login = fetch("/login", method="POST", body="name=ada")
    assert fetch("/", headers={"Cookie": cookie_header(login)}).body == b"Hello, ada"


# -- Cross-site request forgery protection ---------------------------------------------

XSRF_FORM = """<form action="/new_message" method="post">
  {% module xsrf_form_html() %}
  {{ xsrf_form_html() }}
  <input type="text" name="message"/>
  <input type="submit" value="Post"/>
</form>"""


class NewMessageHandler(RequestHandler):
    def get(self):
        self.render("form.html")

    def post(self):
        self.write("got " + self.get_argument("message"))

    def put(self):
        self.write("put ok")

    def delete(self):
        self.write("delete ok")


@pytest.fixture
def xsrf_app():
    import squall.template

    xsrf_settings = {
        "cookie_secret": SECRET,
        "login_url": "/login",
        "xsrf_cookies": True,
        "template_loader": squall.template.DictLoader(
            {"form.html": XSRF_FORM}, autoescape=None
        ),
    }
    return squall.web.Application([(r"/new_message", NewMessageHandler)], **xsrf_settings)


def _form_token(body: bytes) -> str:
    marker = b'name="_xsrf" value="'
    start = body.index(marker) + len(marker)
    return body[start : body.index(b'"', start)].decode()


def test_xsrf_form_and_header(xsrf_app, serve):
    server = serve(xsrf_app)
    page = server("/new_message")
    assert page.code == 200
    cookie = cookie_header(page)
    assert cookie.startswith("_xsrf=")
    token = _form_token(page.body)
    # Without the token: refused.
    assert server("/new_message", method="POST", body="message=hi", headers={"Cookie": cookie}).code == 403
    # With the form field: accepted.
    ok = server(
        "/new_message",
        method="POST",
        body=urllib.parse.urlencode({"message": "hi", "_xsrf": token}),
        headers={"Cookie": cookie},
    )
    assert ok.body == b"got hi"
    # PUT and DELETE with the X-XSRFToken header.
    for method in ("PUT", "DELETE"):
        # An empty body on DELETE (Content-Length: 0) is unusual: the client wants it said.
        response = server(
            "/new_message",
            method=method,
            body="",
            headers={"Cookie": cookie, "X-XSRFToken": token},
            allow_nonstandard_methods=True,
        )
        assert response.code == 200, method
        bad = server(
            "/new_message", method=method, body="", headers={"Cookie": cookie}, allow_nonstandard_methods=True
        )
        assert bad.code == 403


# -- Localization ----------------------------------------------------------------------

SIGNIN_TEMPLATE = """<html>
   <head>
      <title>FriendFeed - {{ _("Sign in") }}</title>
   </head>
   <body>
     <form action="{{ request.path }}" method="post">
       <div>{{ _("Username") }} <input type="text" name="username"/></div>
       <div>{{ _("Password") }} <input type="password" name="password"/></div>
       <div><input type="submit" value="{{ _("Sign in") }}"/></div>
       {% module xsrf_form_html() %}
     </form>
   </body>
 </html>
"""


class SignInHandler(RequestHandler):
    def get(self):
        self.render("signin.html")


class User:
    def __init__(self, prefs):
        self.prefs = prefs


class Backend:
    def get_user_by_id(self, user_id):
        return User({"locale": "es_LA"} if user_id == b"1" else {})


class PrefsBaseHandler(squall.web.RequestHandler):
    backend = Backend()

    def get_current_user(self):
        user_id = self.get_secure_cookie("user")
        if not user_id:
            return None
        return self.backend.get_user_by_id(user_id)

    def get_user_locale(self):
        if "locale" not in self.current_user.prefs:
            # Use the Accept-Language header
            return None
        return self.current_user.prefs["locale"]


class PeopleHandler(PrefsBaseHandler):
    def get(self):
        people = self.get_arguments("p")
        _ = self.locale.translate
        self.write(
            self.locale.code
            + ": "
            + _("A person liked this", "%(num)d people liked this", len(people))
            % {"num": len(people)}
        )


@pytest.fixture
def translations(tmp_path):
    csv_dir = tmp_path / "translations"
    csv_dir.mkdir()
    (csv_dir / "es_LA.csv").write_text(
        '"Sign in","Iniciar sesión"\n'
        '"Username","Usuario"\n'
        '"Password","Contraseña"\n'
        '"A person liked this","A una persona le gustó esto","singular"\n'
        '"%(num)d people liked this","A %(num)d personas les gustó esto","plural"\n',
        encoding="utf-8",
    )
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "signin.html").write_text(SIGNIN_TEMPLATE, encoding="utf-8")
    squall.locale.load_translations(str(csv_dir))
    yield templates
    squall.locale.reset()


def test_localized_template(translations, serve):
    application = Application(
        [(r"/signin", SignInHandler)], template_path=str(translations), cookie_secret=SECRET
    )
    fetch = serve(application)
    spanish = fetch("/signin", headers={"Accept-Language": "es-LA,es;q=0.9"})
    assert "<title>FriendFeed - Iniciar sesión</title>" in spanish.body.decode()
    assert '<form action="/signin" method="post">' in spanish.body.decode()
    assert "Contraseña" in spanish.body.decode()
    assert 'name="_xsrf"' in spanish.body.decode()
    english = fetch("/signin", headers={"Accept-Language": "fr-FR"})
    assert "<title>FriendFeed - Sign in</title>" in english.body.decode()
    assert "Password" in english.body.decode()


def test_get_user_locale_from_prefs_and_plural(translations, serve):
    application = Application([(r"/people", PeopleHandler)], cookie_secret=SECRET)
    fetch = serve(application)
    user_cookie = squall.web.create_signed_value(SECRET, "user", "1").decode()
    other_cookie = squall.web.create_signed_value(SECRET, "user", "2").decode()
    # The user's preference wins over the browser's header.
    response = fetch("/people?p=a", headers={"Cookie": "user=" + user_cookie, "Accept-Language": "en-US"})
    assert response.body.decode() == "es_LA: A una persona le gustó esto"
    response = fetch("/people?p=a&p=b&p=c", headers={"Cookie": "user=" + user_cookie})
    assert response.body.decode() == "es_LA: A 3 personas les gustó esto"
    # No preference: fall back on Accept-Language, then en_US.
    response = fetch("/people?p=a&p=b", headers={"Cookie": "user=" + other_cookie, "Accept-Language": "es-LA"})
    assert response.body.decode() == "es_LA: A 2 personas les gustó esto"
    response = fetch("/people?p=a&p=b", headers={"Cookie": "user=" + other_cookie})
    assert response.body.decode() == "en_US: 2 people liked this"


# -- Non-blocking, asynchronous requests ----------------------------------------------


class AsyncHelloHandler(squall.web.RequestHandler):
    @squall.web.asynchronous
    def get(self):
        self.write("Hello, world")
        self.finish()


class TimerHandler(squall.web.RequestHandler):
    @squall.web.asynchronous
    def get(self):
        self.write("waiting... ")
        squall.ioloop.IOLoop.current().call_later(0.01, self.on_timer)

    def on_timer(self):
        self.write("done")
        self.finish()


class NeverFinishesHandler(squall.web.RequestHandler):
    @squall.web.asynchronous
    def get(self):
        self.write("not finished")


@pytest.mark.parametrize(
    "app",
    [
        Application(
            [(r"/", AsyncHelloHandler), (r"/timer", TimerHandler), (r"/never", NeverFinishesHandler)]
        )
    ],
)
def test_asynchronous_decorator(fetch):
    assert fetch("/").body == b"Hello, world"
    assert fetch("/timer").body == b"waiting... done"


FEED = {"entries": [{"id": 1}, {"id": 2}, {"id": 3}]}


class FeedHandler(RequestHandler):
    def get(self):
        self.write(FEED)


def test_asynchronous_with_async_http_client(serve):
    httpclient = pytest.importorskip("squall.httpclient")
    if not hasattr(httpclient, "AsyncHTTPClient"):
        pytest.skip("squall.httpclient.AsyncHTTPClient is not written yet")
    feed = serve(Application([(r"/feed", FeedHandler)]))
    feed_url = f"http://127.0.0.1:{feed.port}/feed"

    class SpecMainHandler(squall.web.RequestHandler):
        @squall.web.asynchronous
        def get(self):
            http = squall.httpclient.AsyncHTTPClient()
            http.fetch(feed_url, callback=self.on_response)

        def on_response(self, response):
            if response.error:
                raise squall.web.HTTPError(500)
            json = squall.escape.json_decode(response.body)
            self.write(
                "Fetched " + str(len(json["entries"])) + " entries from the FriendFeed API"
            )
            self.finish()

    fetch = serve(Application([(r"/", SpecMainHandler)]))
    assert fetch("/").body == b"Fetched 3 entries from the FriendFeed API"
