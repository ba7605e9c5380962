"""GoogleOAuth2Mixin against a fake OpenID Connect provider on loopback."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import urllib.parse
from typing import Any

import pytest

import squall.web
from squall.auth import AuthError, GoogleOAuth2Mixin

CLIENT_ID = "google-client-id"
CLIENT_SECRET = "google-client-SECRET-do-not-log"
ISSUER = "https://issuer.test"
COOKIE_SECRET = "cookie-secret-for-google-tests-0123456789"


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


class FakeGoogle:
    """The provider side of OpenID Connect's code flow, with failure knobs."""

    def __init__(self, signer: Any, other_signer: Any) -> None:
        self.signer = signer
        self.other_signer = other_signer
        self.codes: dict[str, dict[str, str]] = {}
        self.tokens: dict[str, str] = {}
        self.knobs: dict[str, Any] = {}
        self.authorize_args: list[dict[str, str]] = []
        self.certs_fetches = 0
        self.token_args: list[dict[str, str]] = []

    def app(self) -> squall.web.Application:
        fake = self

        class Authorize(squall.web.RequestHandler):
            def get(self) -> None:
                args = {k: self.get_argument(k) for k in self.request.query_arguments}
                fake.authorize_args.append(args)
                assert args["response_type"] == "code" and args["client_id"] == CLIENT_ID
                back = args["redirect_uri"]
                if fake.knobs.get("deny"):
                    query = {"error": "access_denied", "error_description": "The user said no", "state": args["state"]}
                    self.redirect(back + "?" + urllib.parse.urlencode(query))
                    return
                code = secrets.token_urlsafe(16)
                fake.codes[code] = args
                state = fake.knobs.get("state", args["state"])
                self.redirect(back + "?" + urllib.parse.urlencode({"code": code, "state": state}))

        class Token(squall.web.RequestHandler):
            def post(self) -> None:
                args = {k: self.get_body_argument(k) for k in self.request.body_arguments}
                fake.token_args.append(args)
                if "token_status" in fake.knobs:
                    self.set_status(fake.knobs["token_status"])
                    self.write(fake.knobs.get("token_body", {"error": "invalid_grant", "error_description": "Bad code"}))
                    return
                if "token_raw" in fake.knobs:
                    self.write(fake.knobs["token_raw"])
                    return
                grant = fake.codes.pop(args.get("code", ""), None)
                if (
                    grant is None
                    or args.get("grant_type") != "authorization_code"
                    or args.get("client_id") != CLIENT_ID
                    or args.get("client_secret") != CLIENT_SECRET
                    or args.get("redirect_uri") != grant["redirect_uri"]
                    or grant.get("code_challenge_method") != "S256"
                    or s256(args.get("code_verifier", "")) != grant["code_challenge"]
                ):
                    self.set_status(400)
                    self.write({"error": "invalid_grant"})
                    return
                access = "ya29." + secrets.token_urlsafe(16)
                fake.tokens[access] = "sub-42"
                now = int(time.time())
                claims = {
                    "iss": ISSUER,
                    "aud": CLIENT_ID,
                    "azp": CLIENT_ID,
                    "sub": "sub-42",
                    "email": "ada@example.com",
                    "iat": now,
                    "exp": now + 3600,
                    "nonce": grant["nonce"],
                    **fake.knobs.get("claims", {}),
                }
                key = fake.other_signer if fake.knobs.get("wrong_key") else fake.signer
                token = key.jwt(claims, header={"alg": "RS256", "kid": fake.signer.kid})
                self.write({"access_token": access, "expires_in": 3599, "token_type": "Bearer", "id_token": token, "scope": grant["scope"]})

        class Certs(squall.web.RequestHandler):
            def get(self) -> None:
                fake.certs_fetches += 1
                if "cache_control" in fake.knobs:
                    self.set_header("Cache-Control", fake.knobs["cache_control"])
                if "jwks_raw" in fake.knobs:
                    self.write(fake.knobs["jwks_raw"])
                    return
                self.write({"keys": [fake.signer.jwk()]})

        class UserInfo(squall.web.RequestHandler):
            def get(self) -> None:
                auth = self.request.headers.get("Authorization", "")
                sub = fake.tokens.get(auth.removeprefix("Bearer "))
                if not auth.startswith("Bearer ") or sub is None:
                    self.set_status(401)
                    self.write({"error": "invalid_token"})
                    return
                self.write({"sub": fake.knobs.get("userinfo_sub", sub), "email": "ada@example.com", "name": "Ada"})

        return squall.web.Application(
            [("/authorize", Authorize), ("/token", Token), ("/certs", Certs), ("/userinfo", UserInfo)]
        )


def client_app(base: str, callback_style: bool = False, **overrides: str) -> squall.web.Application:
    class Endpoints(GoogleOAuth2Mixin):
        _OAUTH_AUTHORIZE_URL = base + "/authorize"
        _OAUTH_ACCESS_TOKEN_URL = overrides.get("token_url", base + "/token")
        _OAUTH_JWKS_URL = base + "/certs"
        _OAUTH_USERINFO_URL = base + "/userinfo"
        _OIDC_ISSUERS = (ISSUER,)

    class Login(squall.web.RequestHandler, Endpoints):
        def redirect_uri(self) -> str:
            return f"{self.request.protocol}://{self.request.host}/login"

        async def get(self) -> None:
            if self.get_argument("code", None) or self.get_argument("error", None):
                try:
                    user = await self.get_authenticated_user(redirect_uri=self.redirect_uri())
                except AuthError as error:
                    self.set_status(403)
                    self.write({"error": str(error)})
                    return
                self.write({"user": user})
            else:
                self.authorize_redirect(redirect_uri=self.redirect_uri(), scope=["profile", "email"])

    class CallbackLogin(Login):
        # The spec's style: @asynchronous, a callback bound with async_callback.
        @squall.web.asynchronous
        def get(self) -> None:  # type: ignore[override]
            if self.get_argument("code", None) or self.get_argument("error", None):
                self.get_authenticated_user(
                    redirect_uri=self.redirect_uri(), callback=self.async_callback(self._on_auth)
                )
                return
            self.authorize_redirect(redirect_uri=self.redirect_uri())

        def _on_auth(self, user: dict[str, Any] | None) -> None:
            if not user:
                raise squall.web.HTTPError(500, "Google auth failed")
            self.finish({"user": user})

    settings = {"cookie_secret": COOKIE_SECRET, "google_oauth": {"key": CLIENT_ID, "secret": CLIENT_SECRET}}
    return squall.web.Application([("/login", CallbackLogin if callback_style else Login)], **settings)


@pytest.fixture
def google(signer: Any, other_signer: Any) -> FakeGoogle:
    return FakeGoogle(signer, other_signer)


async def test_full_flow(serve: Any, browser: Any, google: FakeGoogle) -> None:
    provider = serve(google.app())
    client = serve(client_app(provider.base_url))
    response = await browser.follow(client.base_url + "/login")
    assert response.code == 200, response.body
    user = json.loads(response.body)["user"]
    assert user["sub"] == "sub-42" and user["email"] == "ada@example.com" and user["name"] == "Ada"
    assert user["claims"]["iss"] == ISSUER and user["claims"]["aud"] == CLIENT_ID
    assert user["access_token"] in google.tokens and user["expires_in"] == 3599
    sent = google.authorize_args[0]
    assert sent["scope"].split() == ["openid", "profile", "email"]
    assert sent["code_challenge_method"] == "S256" and sent["state"] and sent["nonce"]
    assert "client_secret" not in sent
    assert user["claims"]["nonce"] == sent["nonce"]
    # The flow's cookie is single-use: replaying the callback URL fails.
    assert "_oauth2_state" not in browser.cookies
    replay = await browser.get(browser.visited[-1])
    assert replay.code == 403 and b"state cookie is missing" in replay.body


async def test_spec_callback_style(serve: Any, browser: Any, google: FakeGoogle) -> None:
    provider = serve(google.app())
    client = serve(client_app(provider.base_url, callback_style=True))
    response = await browser.follow(client.base_url + "/login")
    assert response.code == 200, response.body
    assert json.loads(response.body)["user"]["email"] == "ada@example.com"


async def test_callback_style_failure_gets_none(serve: Any, browser: Any, google: FakeGoogle, all_logs: list[str]) -> None:
    google.knobs["deny"] = True
    provider = serve(google.app())
    client = serve(client_app(provider.base_url, callback_style=True))
    response = await browser.follow(client.base_url + "/login")
    assert response.code == 500
    assert any("access_denied" in line and "squall.auth WARNING" in line for line in all_logs)


FAILURES = [
    ({"deny": True}, "access_denied"),
    ({"state": "attacker-state"}, "state does not match"),
    ({"token_status": 400}, "invalid_grant"),
    ({"token_status": 500, "token_body": "<html>oops</html>"}, "HTTP 500"),
    ({"token_raw": "not json {"}, "not valid JSON"),
    ({"token_raw": "[1, 2]"}, "not an object"),
    ({"token_raw": {"token_type": "Bearer"}}, "no access_token"),
    ({"token_raw": {"access_token": "x"}}, "no id_token"),
    ({"wrong_key": True}, "signature does not verify"),
    ({"claims": {"iss": "https://evil.test"}}, "issuer"),
    ({"claims": {"aud": "another-client", "azp": "another-client"}}, "audience"),
    ({"claims": {"exp": 1000}}, "expired"),
    ({"claims": {"nonce": "replayed-nonce"}}, "nonce"),
    ({"userinfo_sub": "someone-else"}, "another user"),
    ({"jwks_raw": "{]"}, "not valid JSON"),
    ({"jwks_raw": {"keys": []}}, "not in the provider's JWKS"),
]


@pytest.mark.parametrize(("knobs", "message"), FAILURES)
async def test_failures_raise_auth_error(
    serve: Any, browser: Any, google: FakeGoogle, all_logs: list[str], knobs: dict[str, Any], message: str
) -> None:
    google.knobs.update(knobs)
    provider = serve(google.app())
    client = serve(client_app(provider.base_url))
    response = await browser.follow(client.base_url + "/login")
    assert response.code == 403, response.body
    error = json.loads(response.body)["error"]
    assert message in error
    secrets_seen = [CLIENT_SECRET, *google.tokens]
    for text in [error, *all_logs]:
        for secret in secrets_seen:
            assert secret not in text


async def test_network_error(serve: Any, browser: Any, google: FakeGoogle, closed_port_url: Any) -> None:
    provider = serve(google.app())
    client = serve(client_app(provider.base_url, token_url=closed_port_url("/token?x=1")))
    response = await browser.follow(client.base_url + "/login")
    assert response.code == 403
    error = json.loads(response.body)["error"]
    assert "no answer from http://127.0.0.1" in error and "x=1" not in error


async def test_login_csrf_is_refused(serve: Any, make_browser: Any, google: FakeGoogle) -> None:
    """An attacker's callback URL (their code and state) does not sign the victim in."""
    provider = serve(google.app())
    client = serve(client_app(provider.base_url))
    attacker, victim = make_browser(), make_browser()
    start = await attacker.get(client.base_url + "/login")
    at_provider = await attacker.get(start.headers["Location"])
    evil_callback = at_provider.headers["Location"]  # not followed by the attacker
    # A victim with no sign-in in progress...
    response = await victim.get(evil_callback)
    assert response.code == 403 and b"state cookie is missing" in response.body
    # ...and one with their own sign-in in progress.
    await victim.get(client.base_url + "/login")
    response = await victim.get(evil_callback)
    assert response.code == 403 and b"state does not match" in response.body


async def test_forged_state_cookie_is_refused(serve: Any, browser: Any, google: FakeGoogle) -> None:
    provider = serve(google.app())
    client = serve(client_app(provider.base_url))
    start = await browser.get(client.base_url + "/login")
    back = (await browser.get(start.headers["Location"])).headers["Location"]
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)["state"][0]
    browser.cookies["_oauth2_state"] = json.dumps({"s": state, "v": None, "n": None})
    response = await browser.get(back)
    assert response.code == 403 and b"forged" in response.body


async def test_signing_keys_are_cached_per_application(serve: Any, make_browser: Any, google: FakeGoogle) -> None:
    provider = serve(google.app())
    client = serve(client_app(provider.base_url))
    for _ in range(3):
        response = await make_browser().follow(client.base_url + "/login")
        assert response.code == 200, response.body
    assert google.certs_fetches == 1
    # Another application keeps its own keys.
    other = serve(client_app(provider.base_url))
    assert (await make_browser().follow(other.base_url + "/login")).code == 200
    assert google.certs_fetches == 2


async def test_no_store_keys_are_fetched_every_time(serve: Any, make_browser: Any, google: FakeGoogle) -> None:
    google.knobs["cache_control"] = "no-store"
    provider = serve(google.app())
    client = serve(client_app(provider.base_url))
    for _ in range(2):
        assert (await make_browser().follow(client.base_url + "/login")).code == 200
    assert google.certs_fetches == 2


async def test_rotated_key_is_fetched_again_but_not_more_than_once_a_minute(
    serve: Any, make_browser: Any, google: FakeGoogle, other_signer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = serve(google.app())
    client = serve(client_app(provider.base_url))
    assert (await make_browser().follow(client.base_url + "/login")).code == 200
    # The provider rotates to a key with another kid, within the minute: the
    # cached keys are used and the token is refused, without a fetch per token.
    google.signer = other_signer
    for _ in range(2):
        response = await make_browser().follow(client.base_url + "/login")
        assert response.code == 403 and "not in the provider's JWKS" in json.loads(response.body)["error"]
    assert google.certs_fetches == 1
    # A minute later the unknown kid triggers one fetch of the new keys.
    monkeypatch.setattr("squall.auth._jwks_cache._REFETCH_INTERVAL", 0.0)
    assert (await make_browser().follow(client.base_url + "/login")).code == 200
    assert google.certs_fetches == 2
