"""Facebook sign-in and Graph API calls (OAuth 2.0): `FacebookGraphMixin`."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from squall.httpclient import AsyncHTTPClient

from ._common import start
from ._errors import AuthError
from ._oauth2 import OAuth2Mixin

__all__ = ["FacebookGraphMixin"]

_DEFAULT_FIELDS = ("id", "name", "first_name", "last_name", "locale", "picture", "link")


class FacebookGraphMixin(OAuth2Mixin):
    """Sign in with Facebook and call the Graph API.

    Settings: ``facebook_api_key`` (the app id) and ``facebook_secret``,
    plus ``cookie_secret``. Every Graph call made with a user token carries
    ``appsecret_proof`` (HMAC-SHA256 of the token with the app secret), so
    the app can require it in its Facebook settings.

    Example::

        class FacebookLoginHandler(squall.web.RequestHandler, squall.auth.FacebookGraphMixin):
            async def get(self):
                redirect_uri = "https://example.com/auth/facebook"
                if self.get_argument("code", None) or self.get_argument("error", None):
                    user = await self.get_authenticated_user(redirect_uri=redirect_uri)
                    self.set_signed_cookie("user", user["id"])
                    self.redirect("/")
                else:
                    self.authorize_redirect(redirect_uri=redirect_uri, scope=["email"])

    The endpoints are class attributes (``_OAUTH_AUTHORIZE_URL``,
    ``_OAUTH_ACCESS_TOKEN_URL``, ``_FACEBOOK_BASE_URL``).
    """

    _OAUTH_ACCESS_TOKEN_URL = "https://graph.facebook.com/oauth/access_token"
    _OAUTH_AUTHORIZE_URL = "https://www.facebook.com/dialog/oauth"
    _OAUTH_NO_CALLBACKS = False
    # POST keeps the app secret out of URLs (and so out of access logs).
    _OAUTH_ACCESS_TOKEN_METHOD = "POST"
    _FACEBOOK_BASE_URL = "https://graph.facebook.com"

    def _oauth2_client(self, client_id: str | None, client_secret: str | None) -> tuple[str, str | None]:
        if client_id is None:
            self.require_setting("facebook_api_key", "Facebook sign-in")
            client_id = self.settings["facebook_api_key"]
        if client_secret is None:
            self.require_setting("facebook_secret", "Facebook sign-in")
            client_secret = self.settings["facebook_secret"]
        if not client_id:
            raise AuthError("FacebookGraphMixin: the facebook_api_key setting is empty")
        return str(client_id), client_secret

    def get_authenticated_user(
        self,
        redirect_uri: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        code: str | None = None,
        extra_fields: Iterable[str] | Mapping[str, Any] | None = None,
        http_client: AsyncHTTPClient | None = None,
        callback: Callable[[Any], object] | None = None,
    ) -> Any:
        """Finish Facebook sign-in on the redirect URI and fetch the user.

        Args:
            redirect_uri: the same value given to `authorize_redirect`.
            client_id: default the ``facebook_api_key`` setting.
            client_secret: default the ``facebook_secret`` setting.
            code: default the ``code`` argument.
            extra_fields: more ``/me`` fields to fetch (e.g. ``["email"]``).
            http_client: the client for Facebook.
            callback: called with the user, or ``None`` on failure (logged).

        Returns:
            An awaitable of the ``/me`` fields (``id``, ``name``, ...) plus
            ``access_token`` and ``session_expires`` (the token's lifetime
            in seconds, as a string, when Facebook gives one).

        Raises:
            AuthError: (when awaited) any failed step.
        """
        client = http_client or self.get_auth_http_client()
        fields = [*_DEFAULT_FIELDS, *(f for f in (extra_fields or ()) if f not in _DEFAULT_FIELDS)]
        return start(
            self, self._facebook_finish(client, redirect_uri, client_id, client_secret, code, fields), callback
        )

    async def _facebook_finish(
        self,
        client: AsyncHTTPClient,
        redirect_uri: str | None,
        client_id: str | None,
        client_secret: str | None,
        code: str | None,
        fields: list[str],
    ) -> dict[str, Any]:
        token, _flow = await self._oauth2_exchange(client, redirect_uri, client_id, client_secret, code, None)
        _, secret = self._oauth2_client(client_id, client_secret)
        user = await self._facebook_request(
            "/me", token["access_token"], None, {"fields": ",".join(fields)}, secret
        )
        if not isinstance(user, dict) or not user.get("id"):
            raise AuthError("Facebook sign-in: /me returned no user id")
        user["access_token"] = token["access_token"]
        if "expires_in" in token:
            user["session_expires"] = str(token["expires_in"])
        return user

    def facebook_request(
        self,
        path: str,
        access_token: str | None = None,
        post_args: Mapping[str, Any] | None = None,
        **args: Any,
    ) -> Any:
        """Call the Graph API, e.g. ``await self.facebook_request("/me/feed", token, post_args={...})``.

        Args:
            path: a Graph path such as ``"/me"``.
            access_token: the user's token; ``appsecret_proof`` is added when
                the ``facebook_secret`` setting is present.
            post_args: form arguments; given, the request is a POST.
            **args: query arguments.

        Returns:
            An awaitable of the decoded JSON answer.

        Raises:
            AuthError: (when awaited) Graph answered an error, or not JSON.
        """
        secret = self.settings.get("facebook_secret")
        return start(self, self._facebook_request(path, access_token, post_args, args, secret))

    async def _facebook_request(
        self,
        path: str,
        access_token: str | None,
        post_args: Mapping[str, Any] | None,
        args: Mapping[str, Any],
        secret: str | None,
    ) -> Any:
        query = dict(args)
        if access_token and secret:
            query["appsecret_proof"] = hmac.new(
                secret.encode("utf-8"), access_token.encode("utf-8"), hashlib.sha256
            ).hexdigest()
        return await self._oauth2_request(
            self._FACEBOOK_BASE_URL + path, access_token, post_args, query, what="Facebook Graph request"
        )
