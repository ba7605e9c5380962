"""FacebookGraphMixin against a fake Graph API on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.parse
from typing import Any

import pytest

import squall.web
from squall.auth import AuthError, FacebookGraphMixin

APP_ID = "fb-app-id"
APP_SECRET = "fb-app-SECRET-never-logged"
COOKIE_SECRET = "cookie-secret-for-facebook-tests-0123456789"


class FakeFacebook:
    def __init__(self) -> None:
        self.codes: dict[str, dict[str, str]] = {}
        self.tokens: set[str] = set()
        self.knobs: dict[str, Any] = {}
        self.graph_requests: list[tuple[str, dict[str, str], bytes]] = []

    def app(self) -> squall.web.Application:
        fake = self

        class Dialog(squall.web.RequestHandler):
            def get(self) -> None:
                args = {k: self.get_argument(k) for k in self.request.query_arguments}
                code = secrets.token_urlsafe(8)
                fake.codes[code] = args
                self.redirect(args["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": args["state"]}))

        class AccessToken(squall.web.RequestHandler):
            def post(self) -> None:
                args = {k: self.get_body_argument(k) for k in self.request.body_arguments}
                grant = fake.codes.pop(args.get("code", ""), None)
                if fake.knobs.get("bad_code") or grant is None or args.get("client_secret") != APP_SECRET:
                    self.set_status(400)
                    self.write({"error": {"message": "Invalid verification code format.", "type": "OAuthException", "code": 100}})
                    return
                token = "EAAB" + secrets.token_urlsafe(12)
                fake.tokens.add(token)
                self.write({"access_token": token, "token_type": "bearer", "expires_in": 5183944})

        class Graph(squall.web.RequestHandler):
            def check(self) -> str | None:
                token = self.request.headers.get("Authorization", "").removeprefix("Bearer ")
                proof = self.get_query_argument("appsecret_proof", "")
                proof_key = fake.knobs.get("proof_secret", APP_SECRET)
                expected = hmac.new(proof_key.encode(), token.encode(), hashlib.sha256).hexdigest()
                fake.graph_requests.append((self.request.uri, dict(self.request.headers.get_all()), self.request.body))
                if token not in fake.tokens or not hmac.compare_digest(proof, expected):
                    self.set_status(400)
                    self.write({"error": {"message": "Invalid appsecret_proof", "type": "GraphMethodException"}})
                    return None
                return token

            def get(self, path: str) -> None:
                if self.check() is None:
                    return
                if "me_raw" in fake.knobs:
                    self.write(fake.knobs["me_raw"])
                    return
                profile = {"id": "10001", "name": "Grace Hopper", "first_name": "Grace", "last_name": "Hopper",
                           "locale": "en_US", "email": "grace@example.com", "link": "https://fb.test/grace",
                           "picture": {"data": {"url": "https://fb.test/p.jpg"}}}
                fields = self.get_query_argument("fields").split(",")
                self.write({k: v for k, v in profile.items() if k in fields})

            def post(self, path: str) -> None:
                if self.check() is None:
                    return
                self.write({"id": "post-1", "message": self.get_body_argument("message")})

        return squall.web.Application(
            [("/dialog/oauth", Dialog), ("/oauth/access_token", AccessToken), (r"/graph/(.*)", Graph)]
        )


def client_app(base: str) -> squall.web.Application:
    class Login(squall.web.RequestHandler, FacebookGraphMixin):
        _OAUTH_AUTHORIZE_URL = base + "/dialog/oauth"
        _OAUTH_ACCESS_TOKEN_URL = base + "/oauth/access_token"
        _FACEBOOK_BASE_URL = base + "/graph"

        async def get(self) -> None:
            redirect_uri = f"http://{self.request.host}/login"
            if not self.get_argument("code", None):
                self.authorize_redirect(redirect_uri=redirect_uri, scope=["email", "user_posts"])
                return
            try:
                user = await self.get_authenticated_user(redirect_uri=redirect_uri, extra_fields=["email"])
                post = await self.facebook_request("/me/feed", user["access_token"], post_args={"message": "hi"})
            except AuthError as error:
                self.set_status(403)
                self.write({"error": str(error)})
                return
            self.write({"user": user, "post": post})

    settings = {"cookie_secret": COOKIE_SECRET, "facebook_api_key": APP_ID, "facebook_secret": APP_SECRET}
    return squall.web.Application([("/login", Login)], **settings)


@pytest.fixture
def facebook() -> FakeFacebook:
    return FakeFacebook()


async def test_full_flow(serve: Any, browser: Any, facebook: FakeFacebook) -> None:
    provider = serve(facebook.app())
    client = serve(client_app(provider.base_url))
    response = await browser.follow(client.base_url + "/login")
    assert response.code == 200, response.body
    got = json.loads(response.body)
    user = got["user"]
    assert user["id"] == "10001" and user["email"] == "grace@example.com" and user["first_name"] == "Grace"
    assert user["session_expires"] == "5183944" and user["access_token"] in facebook.tokens
    assert got["post"] == {"id": "post-1", "message": "hi"}
    uri, _, body = facebook.graph_requests[-1]
    assert "appsecret_proof=" in uri and body == b"message=hi"


@pytest.mark.parametrize(
    ("kind", "message"),
    [("bad_code", "Invalid verification code format"), ("bad_proof", "Invalid appsecret_proof"), ("me_raw", "no user id")],
)
async def test_failures(serve: Any, browser: Any, facebook: FakeFacebook, all_logs: list[str], kind: str, message: str) -> None:
    knobs = {"bad_code": {"bad_code": True}, "me_raw": {"me_raw": {"name": "no id"}},
             "bad_proof": {"proof_secret": "rotated-secret"}}
    facebook.knobs.update(knobs[kind])
    provider = serve(facebook.app())
    client = serve(client_app(provider.base_url))
    response = await browser.follow(client.base_url + "/login")
    assert response.code == 403, response.body
    error = json.loads(response.body)["error"]
    assert message in error
    for text in [error, *all_logs]:
        assert APP_SECRET not in text
        assert not any(token in text for token in facebook.tokens)
