"""OAuth2Mixin (generic) and GitHubOAuth2Mixin against a fake GitHub-like provider."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.parse
from typing import Any

import pytest

import squall.web
from squall.auth import AuthError, GitHubOAuth2Mixin, OAuth2Mixin

CLIENT_ID = "gh-client"
CLIENT_SECRET = "gh-SECRET-never-logged"
COOKIE_SECRET = "cookie-secret-for-oauth2-tests-0123456789"


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


class FakeGitHub:
    def __init__(self) -> None:
        self.codes: dict[str, dict[str, str]] = {}
        self.tokens: set[str] = set()
        self.knobs: dict[str, Any] = {}
        self.authorize_args: list[dict[str, str]] = []
        self.token_args: list[dict[str, str]] = []
        self.api_requests: list[tuple[str, str, dict[str, str], bytes]] = []

    def app(self) -> squall.web.Application:
        fake = self

        class Authorize(squall.web.RequestHandler):
            def get(self) -> None:
                args = {k: self.get_argument(k) for k in self.request.query_arguments}
                fake.authorize_args.append(args)
                back = args["redirect_uri"]
                if fake.knobs.get("deny"):
                    query = {"error": "access_denied", "error_description": "denied by user", "state": args["state"]}
                else:
                    code = secrets.token_urlsafe(8)
                    fake.codes[code] = args
                    query = {"code": code, "state": args["state"]}
                self.redirect(back + "?" + urllib.parse.urlencode(query))

        class AccessToken(squall.web.RequestHandler):
            def post(self) -> None:
                args = {k: self.get_body_argument(k) for k in self.request.body_arguments}
                fake.token_args.append(args)
                assert self.request.headers["Accept"] == "application/json"
                grant = fake.codes.pop(args.get("code", ""), None)
                challenge = grant.get("code_challenge") if grant else None
                ok = (
                    grant is not None
                    and args.get("client_id") == CLIENT_ID
                    and args.get("client_secret") == CLIENT_SECRET
                    and args.get("redirect_uri") == grant.get("redirect_uri")
                    and (challenge is None or s256(args.get("code_verifier", "")) == challenge)
                    and not fake.knobs.get("bad_code")
                )
                if not ok:
                    # GitHub reports token errors with a 200 answer.
                    self.write({"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."})
                    return
                token = "gho_" + secrets.token_urlsafe(12)
                fake.tokens.add(token)
                self.write({"access_token": token, "token_type": "bearer", "scope": "read:user"})

        class Api(squall.web.RequestHandler):
            def handle(self, path: str) -> None:
                auth = self.request.headers.get("Authorization", "")
                fake.api_requests.append(
                    (self.request.method, self.request.uri, dict(self.request.headers.get_all()), self.request.body)
                )
                if auth.removeprefix("Bearer ") not in fake.tokens:
                    self.set_status(401)
                    self.write({"message": "Bad credentials"})
                    return
                if "api_raw" in fake.knobs:
                    self.write(fake.knobs["api_raw"])
                    return
                if path == "user":
                    self.write({"login": "octocat", "id": 583231, "name": "The Octocat"})
                else:
                    self.write({"echo": path, "body": self.request.body.decode(), "query": self.request.query})

            def get(self, path: str) -> None:
                self.handle(path)

            def post(self, path: str) -> None:
                self.handle(path)

        return squall.web.Application(
            [
                ("/login/oauth/authorize", Authorize),
                ("/login/oauth/access_token", AccessToken),
                (r"/api/(.*)", Api),
            ]
        )


def github_client(base: str, **attrs: Any) -> squall.web.Application:
    class Login(squall.web.RequestHandler, GitHubOAuth2Mixin):
        _OAUTH_AUTHORIZE_URL = base + "/login/oauth/authorize"
        _OAUTH_ACCESS_TOKEN_URL = base + "/login/oauth/access_token"
        _GITHUB_API_URL = base + "/api"

        async def get(self) -> None:
            redirect_uri = f"http://{self.request.host}/login"
            if self.get_argument("code", None) or self.get_argument("error", None):
                try:
                    user = await self.get_authenticated_user(redirect_uri=redirect_uri)
                    repo = await self.github_request("/user/repos", user["access_token"], post_args={"name": "hello"}, page=2)
                except AuthError as error:
                    self.set_status(403)
                    self.write({"error": str(error)})
                    return
                self.write({"user": user, "repo": repo})
            else:
                self.authorize_redirect(redirect_uri=redirect_uri, scope=["read:user", "repo"])

    for name, value in attrs.items():
        setattr(Login, name, value)
    settings = {"cookie_secret": COOKIE_SECRET, "github_oauth": {"key": CLIENT_ID, "secret": CLIENT_SECRET}}
    return squall.web.Application([("/login", Login)], **settings)


@pytest.fixture
def github() -> FakeGitHub:
    return FakeGitHub()


async def test_github_full_flow(serve: Any, browser: Any, github: FakeGitHub) -> None:
    provider = serve(github.app())
    client = serve(github_client(provider.base_url))
    response = await browser.follow(client.base_url + "/login?next=/profile")
    assert response.code == 200, response.body
    got = json.loads(response.body)
    assert got["user"]["login"] == "octocat" and got["user"]["username"] == "octocat"
    assert got["user"]["access_token"] in github.tokens and got["user"]["scope"] == "read:user"
    assert github.authorize_args[0]["scope"] == "read:user repo"
    assert github.authorize_args[0]["code_challenge_method"] == "S256"
    # github_request: Bearer header (not a query token), JSON body, query args.
    method, uri, headers, body = github.api_requests[-1]
    assert method == "POST" and uri == "/api/user/repos?page=2"
    assert headers["Authorization"] == "Bearer " + got["user"]["access_token"]
    assert headers["Content-Type"] == "application/json" and json.loads(body) == {"name": "hello"}
    assert headers["Accept"] == "application/vnd.github+json"
    assert all("access_token" not in u for _, u, _, _ in github.api_requests)


@pytest.mark.parametrize(
    ("knobs", "message"),
    [
        ({"deny": True}, "access_denied"),
        ({"bad_code": True}, "bad_verification_code"),
        ({"api_raw": "[]"}, "no login"),
    ],
)
async def test_github_failures(
    serve: Any, browser: Any, github: FakeGitHub, all_logs: list[str], knobs: dict[str, Any], message: str
) -> None:
    github.knobs.update(knobs)
    provider = serve(github.app())
    client = serve(github_client(provider.base_url))
    response = await browser.follow(client.base_url + "/login")
    assert response.code == 403
    error = json.loads(response.body)["error"]
    assert message in error
    for text in [error, *all_logs]:
        assert CLIENT_SECRET not in text
        assert not any(token in text for token in github.tokens)


async def test_github_api_error(serve: Any, browser: Any, github: FakeGitHub) -> None:
    provider = serve(github.app())
    client = serve(github_client(provider.base_url, _GITHUB_API_URL=provider.base_url + "/nowhere"))
    response = await browser.follow(client.base_url + "/login")
    assert response.code == 403
    assert "GitHub API request: the provider answered HTTP 404" in json.loads(response.body)["error"]


def generic_client(base: str, pkce: bool = True) -> squall.web.Application:
    """A handler on the generic mixin, passing client credentials explicitly."""

    class Login(squall.web.RequestHandler, OAuth2Mixin):
        _OAUTH_AUTHORIZE_URL = base + "/login/oauth/authorize?prompt=none"
        _OAUTH_ACCESS_TOKEN_URL = base + "/login/oauth/access_token"
        _OAUTH_PKCE = pkce

        async def get(self) -> None:
            redirect_uri = f"http://{self.request.host}/login"
            if not self.get_argument("code", None):
                self.authorize_redirect(
                    redirect_uri=redirect_uri, client_id=CLIENT_ID, extra_params={"access_type": "offline"}
                )
                return
            token = await self.get_authenticated_user(
                redirect_uri=redirect_uri, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
            )
            me = await self.oauth2_request(base + "/api/user", access_token=token["access_token"])
            echo = await self.oauth2_request(
                base + "/api/things", access_token=token["access_token"], post_args={"a": "1 2"}, q="x"
            )
            self.write({"token": token, "me": me, "echo": echo})

    return squall.web.Application([("/login", Login)], cookie_secret=COOKIE_SECRET)


@pytest.mark.parametrize("pkce", [True, False])
async def test_generic_oauth2_flow(serve: Any, browser: Any, github: FakeGitHub, pkce: bool) -> None:
    provider = serve(github.app())
    client = serve(generic_client(provider.base_url, pkce))
    response = await browser.follow(client.base_url + "/login")
    assert response.code == 200, response.body
    got = json.loads(response.body)
    assert got["token"]["token_type"] == "bearer" and got["me"]["login"] == "octocat"
    assert got["echo"] == {"echo": "things", "body": "a=1+2", "query": "q=x"}
    sent = github.authorize_args[0]
    assert sent["prompt"] == "none" and sent["access_type"] == "offline" and sent["state"]
    assert ("code_challenge" in sent) is pkce
    assert ("code_verifier" in github.token_args[0]) is pkce


async def test_state_cookie_requires_cookie_secret(serve: Any, browser: Any, github: FakeGitHub) -> None:
    provider = serve(github.app())

    class Login(squall.web.RequestHandler, OAuth2Mixin):
        _OAUTH_AUTHORIZE_URL = provider.base_url + "/login/oauth/authorize"

        def get(self) -> None:
            self.authorize_redirect(redirect_uri="http://x/", client_id="c")

    client = serve(squall.web.Application([("/login", Login)]))
    response = await browser.get(client.base_url + "/login")
    assert response.code == 500 and github.authorize_args == []


def test_extra_params_cannot_override_state() -> None:
    class Login(squall.web.RequestHandler, OAuth2Mixin):
        _OAUTH_AUTHORIZE_URL = "https://provider.test/authorize"

    from squall.httputil import HTTPHeaders, HTTPServerRequest

    app = squall.web.Application([], cookie_secret=COOKIE_SECRET)
    request = HTTPServerRequest(method="GET", uri="/login", headers=HTTPHeaders({"Host": "a.test"}))
    handler = Login(app, request)
    with pytest.raises(ValueError, match="'state'"):
        handler.authorize_redirect(redirect_uri="http://a.test/login", client_id="c", extra_params={"state": "fixed"})
    with pytest.raises(AuthError, match="no client_id"):
        handler.authorize_redirect(redirect_uri="http://a.test/login")
