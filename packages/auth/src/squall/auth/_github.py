"""GitHub sign-in and API calls (OAuth 2.0): `GitHubOAuth2Mixin`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from squall.httpclient import AsyncHTTPClient

from ._common import start
from ._errors import AuthError
from ._oauth2 import OAuth2Mixin

__all__ = ["GitHubOAuth2Mixin"]

_API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


class GitHubOAuth2Mixin(OAuth2Mixin):
    """Sign in with GitHub and call its REST API.

    Settings: ``github_oauth = {"key": CLIENT_ID, "secret": CLIENT_SECRET}``
    and ``cookie_secret``.

    Example::

        class GitHubLoginHandler(squall.web.RequestHandler, squall.auth.GitHubOAuth2Mixin):
            async def get(self):
                redirect_uri = "https://example.com/auth/github"
                if self.get_argument("code", None) or self.get_argument("error", None):
                    user = await self.get_authenticated_user(redirect_uri=redirect_uri)
                    self.set_signed_cookie("user", user["login"])
                    self.redirect("/")
                else:
                    self.authorize_redirect(redirect_uri=redirect_uri, scope=["read:user"])

    The endpoints are class attributes (``_OAUTH_AUTHORIZE_URL``,
    ``_OAUTH_ACCESS_TOKEN_URL``, ``_GITHUB_API_URL``).
    """

    _OAUTH_AUTHORIZE_URL = "https://github.com/login/oauth/authorize"
    _OAUTH_ACCESS_TOKEN_URL = "https://github.com/login/oauth/access_token"
    _GITHUB_API_URL = "https://api.github.com"
    _OAUTH_SETTINGS_KEY = "github_oauth"

    def get_authenticated_user(  # type: ignore[override]
        self,
        redirect_uri: str | None = None,
        code: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        http_client: AsyncHTTPClient | None = None,
        callback: Callable[[Any], object] | None = None,
    ) -> Any:
        """Finish GitHub sign-in on the redirect URI and fetch the user.

        Args:
            redirect_uri: the same value given to `authorize_redirect`.
            code: default the ``code`` argument.
            client_id: default ``github_oauth["key"]``.
            client_secret: default ``github_oauth["secret"]``.
            http_client: the client for GitHub.
            callback: called with the user, or ``None`` on failure (logged).

        Returns:
            An awaitable of GitHub's ``/user`` object (``login``, ``id``,
            ``name``, ...) plus ``username`` (the login), ``access_token``
            and ``scope`` (what the user granted).

        Raises:
            AuthError: (when awaited) any failed step.
        """
        client = http_client or self.get_auth_http_client()
        return start(self, self._github_finish(client, redirect_uri, code, client_id, client_secret), callback)

    async def _github_finish(
        self,
        client: AsyncHTTPClient,
        redirect_uri: str | None,
        code: str | None,
        client_id: str | None,
        client_secret: str | None,
    ) -> dict[str, Any]:
        token, _flow = await self._oauth2_exchange(client, redirect_uri, client_id, client_secret, code, None)
        user = await self._github_request("/user", token["access_token"], None, {})
        if not isinstance(user, dict) or not isinstance(user.get("login"), str) or "id" not in user:
            raise AuthError("GitHub sign-in: /user returned no login and id")
        user["username"] = user["login"]
        user["access_token"] = token["access_token"]
        user["scope"] = token.get("scope", "")
        return user

    def github_request(
        self,
        path: str,
        access_token: str | None = None,
        post_args: Mapping[str, Any] | None = None,
        **args: Any,
    ) -> Any:
        """Call the GitHub REST API, e.g. ``await self.github_request("/user/repos", token)``.

        Args:
            path: an API path such as ``"/user"``.
            access_token: the user's token (sent as a Bearer token).
            post_args: a JSON body; given, the request is a POST.
            **args: query arguments.

        Returns:
            An awaitable of the decoded JSON answer.

        Raises:
            AuthError: (when awaited) the API answered an error, or not JSON.
        """
        return start(self, self._github_request(path, access_token, post_args, args))

    async def _github_request(
        self,
        path: str,
        access_token: str | None,
        post_args: Mapping[str, Any] | None,
        args: Mapping[str, Any],
    ) -> Any:
        return await self._oauth2_request(
            self._GITHUB_API_URL + path,
            access_token,
            post_args,
            args,
            what="GitHub API request",
            extra_headers=_API_HEADERS,
            json_body=True,
        )
