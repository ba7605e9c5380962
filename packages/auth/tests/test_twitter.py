"""OAuthMixin / TwitterMixin against a fake OAuth 1.0a provider that verifies
every signature with oauthlib (an independent implementation)."""

from __future__ import annotations

import json
import secrets
import urllib.parse
from types import SimpleNamespace
from typing import Any

import pytest
from oauthlib.oauth1.rfc5849 import signature as sig

import squall.web
from squall.auth import AuthError, TwitterMixin

CONSUMER_KEY = "tw-consumer-key"
CONSUMER_SECRET = "tw-consumer-SECRET-never-logged"
COOKIE_SECRET = "cookie-secret-for-twitter-tests-0123456789"


class FakeTwitter:
    def __init__(self) -> None:
        self.request_tokens: dict[str, dict[str, str]] = {}
        self.access_tokens: dict[str, str] = {}
        self.knobs: dict[str, Any] = {}
        self.verified: list[str] = []
        self.nonces: set[str] = set()

    def verify(self, handler: squall.web.RequestHandler, token_secrets: dict[str, str]) -> dict[str, str] | None:
        """Check the request's OAuth signature with oauthlib; answer 401 if it is wrong."""
        request = handler.request
        header = request.headers.get("Authorization", "")
        oauth = dict(sig.collect_parameters(headers={"Authorization": header}, exclude_oauth_signature=False))
        body = request.body.decode() if request.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded") else ""
        params = sig.collect_parameters(
            uri_query=request.query, body=body, headers={"Authorization": header}, exclude_oauth_signature=True
        )
        base = sig.signature_base_string(
            request.method, sig.base_string_uri(request.full_url()), sig.normalize_parameters(params)
        )
        token = oauth.get("oauth_token")
        token_secret = token_secrets.get(token, "") if token else ""
        client = SimpleNamespace(client_secret=CONSUMER_SECRET, resource_owner_secret=token_secret)
        expected = sig.sign_hmac_sha1_with_client(base, client)
        ok = (
            oauth.get("oauth_consumer_key") == CONSUMER_KEY
            and oauth.get("oauth_signature_method") == "HMAC-SHA1"
            and (token is None or token in token_secrets)
            and oauth.get("oauth_nonce") not in self.nonces
            and sig.safe_string_equals(expected, oauth.get("oauth_signature", ""))
        )
        self.nonces.add(oauth.get("oauth_nonce", ""))
        if not ok:
            handler.set_status(401)
            handler.write({"errors": [{"code": 32, "message": "Could not authenticate you."}]})
            return None
        self.verified.append(request.path)
        return oauth

    def app(self) -> squall.web.Application:
        fake = self

        class RequestToken(squall.web.RequestHandler):
            def post(self) -> None:
                if "request_status" in fake.knobs:
                    self.set_status(fake.knobs["request_status"])
                    self.write("oops")
                    return
                oauth = fake.verify(self, {})
                if oauth is None:
                    return
                key, secret = "rt-" + secrets.token_hex(4), secrets.token_urlsafe(8)
                fake.request_tokens[key] = {"secret": secret, "callback": oauth["oauth_callback"]}
                confirmed = "false" if fake.knobs.get("no_confirm") else "true"
                self.write(urllib.parse.urlencode({"oauth_token": key, "oauth_token_secret": secret, "oauth_callback_confirmed": confirmed}))

        class Authorize(squall.web.RequestHandler):
            def get(self) -> None:
                key = self.get_argument("oauth_token")
                grant = fake.request_tokens[key]
                if fake.knobs.get("deny"):
                    query = {"denied": key}
                else:
                    grant["verifier"] = secrets.token_hex(4)
                    query = {"oauth_token": fake.knobs.get("swap_token", key), "oauth_verifier": grant["verifier"]}
                back = grant["callback"]
                self.redirect(back + ("&" if "?" in back else "?") + urllib.parse.urlencode(query))

        class AccessToken(squall.web.RequestHandler):
            def post(self) -> None:
                pending = {k: v["secret"] for k, v in fake.request_tokens.items()}
                oauth = fake.verify(self, pending)
                if oauth is None:
                    return
                grant = fake.request_tokens.pop(oauth["oauth_token"])
                if oauth.get("oauth_verifier") != grant.get("verifier") or fake.knobs.get("bad_verifier"):
                    self.set_status(401)
                    self.write("Invalid request token.")
                    return
                key, secret = "at-" + secrets.token_hex(4), "ats-" + secrets.token_urlsafe(8)
                fake.access_tokens[key] = secret
                self.write(urllib.parse.urlencode({"oauth_token": key, "oauth_token_secret": secret, "user_id": "42", "screen_name": "ada"}))

        class Api(squall.web.RequestHandler):
            def get(self, path: str) -> None:
                if fake.verify(self, fake.access_tokens) is None:
                    return
                if "api_raw" in fake.knobs:
                    self.write(fake.knobs["api_raw"])
                elif path == "account/verify_credentials":
                    self.write({"id": 42, "screen_name": "ada", "name": "Ada Lovelace"})
                else:
                    self.write({"path": path, "q": self.get_query_argument("q", None)})

            def post(self, path: str) -> None:
                if fake.verify(self, fake.access_tokens) is None:
                    return
                self.write({"path": path, "status": self.get_body_argument("status")})

        return squall.web.Application(
            [
                ("/oauth/request_token", RequestToken),
                ("/oauth/authorize", Authorize),
                ("/oauth/authenticate", Authorize),
                ("/oauth/access_token", AccessToken),
                (r"/1\.1/(.*)\.json", Api),
            ]
        )


def client_app(base: str, style: str = "await") -> squall.web.Application:
    class Endpoints(TwitterMixin):
        _OAUTH_REQUEST_TOKEN_URL = base + "/oauth/request_token"
        _OAUTH_ACCESS_TOKEN_URL = base + "/oauth/access_token"
        _OAUTH_AUTHORIZE_URL = base + "/oauth/authorize"
        _OAUTH_AUTHENTICATE_URL = base + "/oauth/authenticate"
        _TWITTER_BASE_URL = base + "/1.1"

    class Login(squall.web.RequestHandler, Endpoints):
        async def get(self) -> None:
            try:
                if self.get_argument("oauth_token", None) or self.get_argument("denied", None):
                    user = await self.get_authenticated_user()
                    token = user["access_token"]
                    tweet = await self.twitter_request("/statuses/update", token, post_args={"status": "Héllo, ✓ world & more!"})
                    found = await self.twitter_request("/search/tweets", token, q="squall ✓ +1")
                    self.write({"user": user, "tweet": tweet, "found": found, "next": self.get_safe_next_url()})
                elif self.get_argument("authenticate", None):
                    await self.authenticate_redirect()
                else:
                    await self.authorize_redirect(callback_uri="/login?next=%2Fhome")
            except AuthError as error:
                self.set_status(403)
                self.write({"error": str(error)})

    class SpecLogin(squall.web.RequestHandler, Endpoints):
        # The spec's callback style, nothing awaited.
        @squall.web.asynchronous
        def get(self) -> None:
            if self.get_argument("oauth_token", None):
                self.get_authenticated_user(self.async_callback(self._on_auth))
                return
            self.authorize_redirect()

        def _on_auth(self, user: dict[str, Any] | None) -> None:
            if not user:
                raise squall.web.HTTPError(500, "Twitter auth failed")
            self.finish({"user": user})

    settings = {
        "cookie_secret": COOKIE_SECRET,
        "twitter_consumer_key": CONSUMER_KEY,
        "twitter_consumer_secret": CONSUMER_SECRET,
    }
    return squall.web.Application([("/login", SpecLogin if style == "spec" else Login)], **settings)


@pytest.fixture
def twitter() -> FakeTwitter:
    return FakeTwitter()


async def test_full_flow(serve: Any, browser: Any, twitter: FakeTwitter) -> None:
    provider = serve(twitter.app())
    client = serve(client_app(provider.base_url))
    response = await browser.follow(client.base_url + "/login")
    assert response.code == 200, response.body
    got = json.loads(response.body)
    assert got["user"]["username"] == "ada" and got["user"]["name"] == "Ada Lovelace"
    token = got["user"]["access_token"]
    assert twitter.access_tokens[token["key"]] == token["secret"]
    assert token["screen_name"] == "ada" and token["user_id"] == "42"
    assert got["tweet"] == {"path": "statuses/update", "status": "Héllo, ✓ world & more!"}
    assert got["found"] == {"path": "search/tweets", "q": "squall ✓ +1"}
    assert got["next"] == "/home"  # the callback kept next= and it is local
    # Every call was signed in a way oauthlib accepts.
    assert twitter.verified == [
        "/oauth/request_token",
        "/oauth/access_token",
        "/1.1/account/verify_credentials.json",
        "/1.1/statuses/update.json",
        "/1.1/search/tweets.json",
    ]
    assert "_oauth_request_token" not in browser.cookies


async def test_authenticate_redirect(serve: Any, browser: Any, twitter: FakeTwitter) -> None:
    provider = serve(twitter.app())
    client = serve(client_app(provider.base_url))
    first = await browser.get(client.base_url + "/login?authenticate=1")
    assert first.code == 302 and first.headers["Location"].startswith(provider.base_url + "/oauth/authenticate?")
    response = await browser.follow(first.headers["Location"])
    assert response.code == 200 and json.loads(response.body)["user"]["username"] == "ada"


async def test_spec_callback_style(serve: Any, browser: Any, twitter: FakeTwitter) -> None:
    provider = serve(twitter.app())
    client = serve(client_app(provider.base_url, style="spec"))
    response = await browser.follow(client.base_url + "/login")
    assert response.code == 200, response.body
    assert json.loads(response.body)["user"]["screen_name"] == "ada"


async def test_spec_style_unawaited_failure_reaches_the_error_page(
    serve: Any, browser: Any, twitter: FakeTwitter, all_logs: list[str]
) -> None:
    twitter.knobs["request_status"] = 503
    provider = serve(twitter.app())
    client = serve(client_app(provider.base_url, style="spec"))
    response = await browser.follow(client.base_url + "/login")
    assert response.code == 500
    assert any("AuthError" in line and "HTTP 503" in line for line in all_logs)


@pytest.mark.parametrize(
    ("knobs", "message"),
    [
        ({"request_status": 401}, "OAuth request token: the provider answered HTTP 401"),
        ({"no_confirm": True}, "oauth_callback_confirmed"),
        ({"deny": True}, "denied access"),
        ({"swap_token": "rt-someone-else"}, "does not match"),
        ({"bad_verifier": True}, "OAuth access token: the provider answered HTTP 401"),
        ({"api_raw": "[1]"}, "no screen_name"),
    ],
)
async def test_failures(
    serve: Any, browser: Any, twitter: FakeTwitter, all_logs: list[str], knobs: dict[str, Any], message: str
) -> None:
    twitter.knobs.update(knobs)
    provider = serve(twitter.app())
    client = serve(client_app(provider.base_url))
    response = await browser.follow(client.base_url + "/login")
    assert response.code == 403, response.body
    error = json.loads(response.body)["error"]
    assert message in error
    secret_values = [CONSUMER_SECRET, *twitter.access_tokens.values(), *(t["secret"] for t in twitter.request_tokens.values())]
    for text in [error, *all_logs]:
        assert not any(s in text for s in secret_values)


async def test_missing_or_forged_cookie(serve: Any, browser: Any, twitter: FakeTwitter) -> None:
    provider = serve(twitter.app())
    client = serve(client_app(provider.base_url))
    start = await browser.get(client.base_url + "/login")
    back = (await browser.get(start.headers["Location"])).headers["Location"]
    browser.cookies["_oauth_request_token"] = "forged"
    response = await browser.get(back)
    assert response.code == 403 and b"missing, expired or forged" in response.body
    browser.cookies.clear()
    response = await browser.get(back)
    assert response.code == 403 and b"missing, expired or forged" in response.body


async def test_network_error(serve: Any, browser: Any, closed_port_url: Any) -> None:
    class Login(squall.web.RequestHandler, TwitterMixin):
        _OAUTH_REQUEST_TOKEN_URL = closed_port_url("/oauth/request_token")

        async def get(self) -> None:
            try:
                await self.authorize_redirect()
            except AuthError as error:
                self.set_status(403)
                self.write({"error": str(error)})

    settings = {"cookie_secret": COOKIE_SECRET, "twitter_consumer_key": "k", "twitter_consumer_secret": "s"}
    client = serve(squall.web.Application([("/login", Login)], **settings))
    response = await browser.get(client.base_url + "/login")
    assert response.code == 403 and "no answer from" in json.loads(response.body)["error"]


async def test_fake_provider_rejects_bad_signatures(serve: Any, browser: Any, twitter: FakeTwitter) -> None:
    """The provider's oauthlib check is real: a wrong consumer secret is refused."""
    provider = serve(twitter.app())
    app = client_app(provider.base_url)
    app.settings["twitter_consumer_secret"] = "not-the-secret"
    client = serve(app)
    response = await browser.follow(client.base_url + "/login")
    assert response.code == 403
    assert "HTTP 401 (32: Could not authenticate you.)" in json.loads(response.body)["error"]
    assert twitter.verified == []
