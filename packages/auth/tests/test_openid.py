"""OpenIdMixin / GoogleMixin against a fake OpenID 2.0 provider, and the spec's example."""

from __future__ import annotations

import json
import secrets
import urllib.parse
from typing import Any

import pytest

import squall.auth
import squall.web
from squall.auth import AuthError, OpenIdMixin

OPENID_NS = "http://specs.openid.net/auth/2.0"
AX_NS = "http://openid.net/srv/ax/1.0"
COOKIE_SECRET = "cookie-secret-for-openid-tests-0123456789"
AX_VALUES = {
    "http://axschema.org/contact/email": "ada@example.com",
    "http://axschema.org/namePerson/first": "Ada",
    "http://axschema.org/namePerson/last": "Lovelace",
    "http://axschema.org/pref/language": "en-GB",
    "http://axschema.org/namePerson/friendly": "ada",
}


class FakeOpenId:
    def __init__(self) -> None:
        self.endpoint = ""
        self.issued: dict[str, dict[str, str]] = {}
        self.requests: list[dict[str, str]] = []
        self.checks: list[dict[str, str]] = []
        self.knobs: dict[str, Any] = {}

    def assertion(self, req: dict[str, str]) -> dict[str, str]:
        if self.knobs.get("cancel"):
            return {"openid.ns": OPENID_NS, "openid.mode": "cancel"}
        claimed = "https://openid.test/id/ada"
        args = {
            "openid.ns": OPENID_NS,
            "openid.mode": "id_res",
            "openid.op_endpoint": self.knobs.get("op_endpoint", self.endpoint),
            "openid.claimed_id": claimed,
            "openid.identity": claimed,
            "openid.return_to": self.knobs.get("return_to", req["openid.return_to"]),
            "openid.response_nonce": "2024-01-01T00:00:00Z" + secrets.token_hex(4),
            "openid.assoc_handle": "handle-" + secrets.token_hex(4),
            "openid.ns.ext1": AX_NS,
            "openid.ext1.mode": "fetch_response",
        }
        signed = ["op_endpoint", "claimed_id", "identity", "return_to", "response_nonce", "assoc_handle", "ns.ext1", "ext1.mode"]
        requested = [v for k, v in req.items() if k.startswith("openid.ax.type.")]
        for number, uri in enumerate(requested):
            if uri in AX_VALUES:
                args[f"openid.ext1.type.a{number}"] = uri
                args[f"openid.ext1.value.a{number}"] = AX_VALUES[uri]
                signed += [f"ext1.type.a{number}", f"ext1.value.a{number}"]
        if self.knobs.get("unsigned_email"):
            signed = [s for s in signed if args.get("openid." + s) != AX_VALUES["http://axschema.org/contact/email"]]
        if self.knobs.get("unsigned_return_to"):
            signed.remove("return_to")
        args["openid.signed"] = ",".join(signed)
        args["openid.sig"] = secrets.token_urlsafe(20)
        return args

    def app(self) -> squall.web.Application:
        fake = self

        class Endpoint(squall.web.RequestHandler):
            def get(self) -> None:
                req = {k: self.get_argument(k) for k in self.request.query_arguments}
                fake.requests.append(req)
                assert req["openid.mode"] == "checkid_setup" and req["openid.ns"] == OPENID_NS
                args = fake.assertion(req)
                fake.issued[args.get("openid.sig", "")] = args
                back = req["openid.return_to"]
                self.redirect(back + ("&" if "?" in back else "?") + urllib.parse.urlencode(args))

            def post(self) -> None:
                args = {k: self.get_body_argument(k) for k in self.request.body_arguments}
                fake.checks.append(args)
                if "check_status" in fake.knobs:
                    self.set_status(fake.knobs["check_status"])
                if "check_body" in fake.knobs:
                    self.write(fake.knobs["check_body"])
                    return
                issued = fake.issued.get(args.get("openid.sig", ""))
                same = issued is not None and {k: v for k, v in args.items() if k != "openid.mode"} == {
                    k: v for k, v in issued.items() if k != "openid.mode"
                }
                valid = args.get("openid.mode") == "check_authentication" and same
                self.set_header("Content-Type", "text/plain")
                self.write(f"ns:{OPENID_NS}\nis_valid:{'true' if valid else 'false'}\n")

        return squall.web.Application([("/openid", Endpoint)])


def client_app(endpoint: str, callback_uri: str = "/login?next=%2Fprofile") -> squall.web.Application:
    class Login(squall.web.RequestHandler, OpenIdMixin):
        _OPENID_ENDPOINT = endpoint

        async def get(self) -> None:
            if not self.get_argument("openid.mode", None):
                self.authenticate_redirect(callback_uri=callback_uri, ax_attrs=["name", "email", "language", "username"])
                return
            try:
                user = await self.get_authenticated_user()
            except AuthError as error:
                self.set_status(403)
                self.write({"error": str(error)})
                return
            self.write({"user": user, "next": self.get_safe_next_url()})

    return squall.web.Application([("/login", Login)], cookie_secret=COOKIE_SECRET)


@pytest.fixture
def provider(serve: Any) -> Any:
    fake = FakeOpenId()
    fetch = serve(fake.app())
    fake.endpoint = fetch.base_url + "/openid"
    return fake


async def test_full_flow(serve: Any, browser: Any, provider: FakeOpenId) -> None:
    client = serve(client_app(provider.endpoint))
    response = await browser.follow(client.base_url + "/login")
    assert response.code == 200, response.body
    got = json.loads(response.body)
    assert got["user"] == {
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "username": "ada",
        "name": "Ada Lovelace",
        "locale": "en-gb",
        "claimed_id": "https://openid.test/id/ada",
    }
    assert got["next"] == "/profile"
    req = provider.requests[0]
    assert req["openid.return_to"] == client.base_url + "/login?next=%2Fprofile"
    assert req["openid.realm"] == client.base_url + "/"
    assert req["openid.ns.ax"] == AX_NS and "email" in req["openid.ax.required"].split(",")
    assert provider.checks[0]["openid.mode"] == "check_authentication"


@pytest.mark.parametrize("target", ["https://evil.test/", "//evil.test/", "/\\evil.test"])
async def test_off_site_next_is_not_followed(serve: Any, browser: Any, provider: FakeOpenId, target: str) -> None:
    client = serve(client_app(provider.endpoint, "/login?" + urllib.parse.urlencode({"next": target})))
    response = await browser.follow(client.base_url + "/login")
    assert response.code == 200
    assert json.loads(response.body)["next"] == "/"


async def test_spec_example(serve: Any, browser: Any, provider: FakeOpenId, monkeypatch: pytest.MonkeyPatch) -> None:
    """The spec's GoogleHandler, with only ``tornado`` renamed to ``squall``.

    Google's OpenID 2.0 endpoint is gone, so GoogleMixin is pointed at the fake.
    """
    monkeypatch.setattr(squall.auth.GoogleMixin, "_OPENID_ENDPOINT", provider.endpoint)

    class GoogleHandler(squall.web.RequestHandler, squall.auth.GoogleMixin):
        @squall.web.asynchronous
        def get(self):  # type: ignore[no-untyped-def]
            if self.get_argument("openid.mode", None):
                self.get_authenticated_user(self.async_callback(self._on_auth))
                return
            self.authenticate_redirect()

        def _on_auth(self, user):  # type: ignore[no-untyped-def]
            if not user:
                self.authenticate_redirect()
                return
            # Save the user with, e.g., set_secure_cookie()
            self.set_secure_cookie("user", user["email"])
            self.finish("signed in as " + user["name"])

    client = serve(squall.web.Application([("/auth/google", GoogleHandler)], cookie_secret=COOKIE_SECRET))
    response = await browser.follow(client.base_url + "/auth/google")
    assert response.code == 200 and response.body == b"signed in as Ada Lovelace"
    assert "user" in browser.cookies
    # A failed sign-in calls back with None; the example starts over.
    provider.knobs["check_body"] = f"ns:{OPENID_NS}\nis_valid:false\n"
    first = await browser.get(client.base_url + "/auth/google")
    back = (await browser.get(first.headers["Location"])).headers["Location"]
    again = await browser.get(back)
    assert again.code == 302 and again.headers["Location"].startswith(provider.endpoint + "?")


@pytest.mark.parametrize(
    ("knobs", "message"),
    [
        ({"cancel": True}, "cancelled"),
        ({"check_body": f"ns:{OPENID_NS}\nis_valid:false\n"}, "did not confirm"),
        ({"check_body": f"ns:{OPENID_NS}\nis_valid:true"}, "no final newline"),
        ({"check_body": f"ns:{OPENID_NS}\nis_valid:True\n"}, "did not confirm"),
        ({"check_body": f"ns:{OPENID_NS}\nis_valid: true\n"}, "did not confirm"),
        ({"check_body": f"ns:{OPENID_NS}\nis_valid:false\nis_valid:true\n"}, "repeats the key"),
        ({"check_body": f"ns:{OPENID_NS}\nerror:is_valid:true\n"}, "did not confirm"),
        ({"check_body": "<html>is_valid:true</html>\n"}, "not OpenID 2.0"),
        ({"check_body": f"ns:{OPENID_NS}\nis_valid\n"}, "not 'key:value'"),
        ({"check_body": "is_valid:true\n"}, "not OpenID 2.0"),
        ({"check_status": 500, "check_body": f"ns:{OPENID_NS}\nis_valid:true\n"}, "HTTP 500"),
        ({"op_endpoint": "https://evil.test/openid"}, "another endpoint"),
        ({"return_to": "https://evil.test/login"}, "return_to is not this URL"),
        ({"unsigned_return_to": True}, "does not sign return_to"),
    ],
)
async def test_failures(serve: Any, browser: Any, provider: FakeOpenId, knobs: dict[str, Any], message: str) -> None:
    provider.knobs.update(knobs)
    client = serve(client_app(provider.endpoint))
    response = await browser.follow(client.base_url + "/login")
    assert response.code == 403, response.body
    assert message in json.loads(response.body)["error"]


async def test_tampered_attribute_is_refused(serve: Any, browser: Any, provider: FakeOpenId) -> None:
    client = serve(client_app(provider.endpoint))
    start = await browser.get(client.base_url + "/login")
    back = (await browser.get(start.headers["Location"])).headers["Location"]
    evil = back.replace(urllib.parse.quote("ada@example.com"), urllib.parse.quote("admin@example.com"))
    assert evil != back
    response = await browser.get(evil)
    assert response.code == 403 and b"did not confirm" in response.body


async def test_unsigned_attributes_are_dropped(serve: Any, browser: Any, provider: FakeOpenId) -> None:
    provider.knobs["unsigned_email"] = True
    client = serve(client_app(provider.endpoint))
    response = await browser.follow(client.base_url + "/login")
    assert response.code == 200
    user = json.loads(response.body)["user"]
    assert "email" not in user and user["first_name"] == "Ada"


async def test_network_error(serve: Any, browser: Any, provider: FakeOpenId, closed_port_url: Any) -> None:
    """The check_authentication request cannot reach the provider."""
    dead = closed_port_url("/openid")
    client = serve(client_app(dead))
    provider.knobs["op_endpoint"] = dead
    request = {"openid.ns": OPENID_NS, "openid.mode": "checkid_setup", "openid.return_to": client.base_url + "/login"}
    response = await browser.follow(provider.endpoint + "?" + urllib.parse.urlencode(request))
    assert response.code == 403
    assert "no answer from http://127.0.0.1" in json.loads(response.body)["error"]


def test_unknown_ax_attribute() -> None:
    from squall.httputil import HTTPHeaders, HTTPServerRequest

    class Login(squall.web.RequestHandler, OpenIdMixin):
        _OPENID_ENDPOINT = "https://openid.test/endpoint"

    app = squall.web.Application([])
    request = HTTPServerRequest(method="GET", uri="/login", headers=HTTPHeaders({"Host": "a.test"}))
    with pytest.raises(ValueError, match="unknown ax_attrs entry 'phone'"):
        Login(app, request).authenticate_redirect(ax_attrs=["phone"])
