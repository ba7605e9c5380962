"""OAuth 1.0a (RFC 5849) sign-in and signed API calls: `OAuthMixin`.

How this works: `OAuthMixin.authorize_redirect` gets a temporary (request)
token from the provider, keeps it in a signed cookie and sends the browser
to the provider's authorisation page. The provider sends the browser back
with ``oauth_token`` and ``oauth_verifier``; `OAuthMixin.get_authenticated_user`
checks the token against the cookie, trades token and verifier for an
access token, and asks `OAuthMixin._oauth_get_user_future` who the user is.
Every request to the provider carries its ``oauth_*`` parameters, signed
with HMAC-SHA1, in an ``Authorization: OAuth`` header (RFC 5849 3.5.1).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from squall.httpclient import AsyncHTTPClient

from ._common import AuthMixinBase, fetch_provider, provider_error, start
from ._errors import AuthError
from ._oauth1_sign import (
    oauth1_authorization_header,
    oauth1_protocol_parameters,
    parse_oauth1_token_response,
)

__all__ = ["OAuthMixin"]

_COOKIE = "_oauth_request_token"
_COOKIE_MAX_AGE = 15 * 60  # seconds a sign-in may take at the provider


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii")


def _unb64(text: str) -> str:
    return base64.urlsafe_b64decode(text.encode("ascii")).decode("utf-8")


class OAuthMixin(AuthMixinBase):
    """Sign users in and call APIs with OAuth 1.0a.

    Subclasses set the provider's endpoints and implement
    `_oauth_consumer_token` and `_oauth_get_user_future`:

    Attributes:
        _OAUTH_REQUEST_TOKEN_URL: the temporary-credentials endpoint.
        _OAUTH_ACCESS_TOKEN_URL: the token endpoint.
        _OAUTH_AUTHORIZE_URL: the page the user is sent to.
        _OAUTH_NO_CALLBACKS: True for providers that take no callback URL.
        _OAUTH_VERSION: ``"1.0a"`` (the only version supported).

    The request token is kept in a signed cookie, so the application needs
    the ``cookie_secret`` setting.

    Compatibility: protocol parameters travel in the ``Authorization``
    header rather than the query string, and the request-token cookie is
    signed; only OAuth 1.0a (not the older 1.0) is supported; without a
    ``callback_uri`` the callback is this request's URL.
    """

    _OAUTH_REQUEST_TOKEN_URL: str = ""
    _OAUTH_ACCESS_TOKEN_URL: str = ""
    _OAUTH_AUTHORIZE_URL: str = ""
    _OAUTH_NO_CALLBACKS: bool = False
    _OAUTH_VERSION: str = "1.0a"

    # -- to implement -------------------------------------------------

    def _oauth_consumer_token(self) -> dict[str, str]:
        """The consumer (client) credentials: ``{"key": ..., "secret": ...}``."""
        raise NotImplementedError(f"{type(self).__name__} must implement _oauth_consumer_token()")

    async def _oauth_get_user_future(self, access_token: dict[str, Any]) -> dict[str, Any] | None:
        """Fetch the signed-in user with ``access_token`` (``{"key", "secret", ...}``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement _oauth_get_user_future()")

    # -- the flow ------------------------------------------------------

    def _oauth_endpoint(self, name: str) -> str:
        url: str = getattr(self, name)
        if not url:
            raise AuthError(f"{type(self).__name__} has no {name}: set it to the provider's URL")
        if self._OAUTH_VERSION != "1.0a":
            raise AuthError(f"{type(self).__name__}: OAuth version {self._OAUTH_VERSION!r} is not supported; use '1.0a'")
        return url

    def _consumer(self) -> dict[str, str]:
        consumer = self._oauth_consumer_token()
        if not consumer.get("key") or not consumer.get("secret"):
            raise AuthError(f"{type(self).__name__}: the consumer key or secret setting is empty")
        return consumer

    def _oauth_request_parameters(
        self,
        url: str,
        access_token: Mapping[str, str],
        parameters: Mapping[str, Any] | None = None,
        method: str = "GET",
    ) -> dict[str, str]:
        """The signed ``oauth_*`` parameters for an API request.

        Args:
            url: the request URL (without the ``parameters``).
            access_token: ``{"key": ..., "secret": ...}``.
            parameters: the request's query (GET) or form body (POST)
                parameters, which the signature covers.
            method: the HTTP method.
        """
        consumer = self._consumer()
        body = [(k, str(v)) for k, v in (parameters or {}).items()]
        return oauth1_protocol_parameters(
            consumer["key"],
            consumer["secret"],
            method,
            url,
            token=access_token["key"],
            token_secret=access_token["secret"],
            body_parameters=body,
        )

    async def _signed_token_request(
        self,
        client: AsyncHTTPClient,
        what: str,
        url: str,
        token: Mapping[str, str] | None,
        extra: Mapping[str, str],
    ) -> dict[str, str]:
        consumer = self._consumer()
        params = oauth1_protocol_parameters(
            consumer["key"],
            consumer["secret"],
            "POST",
            url,
            token=token["key"] if token else None,
            token_secret=token["secret"] if token else None,
            extra=extra,
        )
        response = await fetch_provider(
            client,
            what,
            url,
            method="POST",
            body=b"",
            headers={
                "Authorization": oauth1_authorization_header(params),
                "Accept": "application/x-www-form-urlencoded",
            },
        )
        if response.code != 200:
            raise AuthError(f"{what}: the provider answered {provider_error(response)}")
        return parse_oauth1_token_response(response.body, what)

    def authorize_redirect(
        self,
        callback_uri: str | None = None,
        extra_params: Mapping[str, str] | None = None,
        http_client: AsyncHTTPClient | None = None,
    ) -> Any:
        """Get a request token and redirect the browser to the provider.

        Args:
            callback_uri: where the provider sends the user back (relative to
                this request's URL); default this request's URL; ``"oob"``
                for out-of-band (the provider shows the user a PIN).
            extra_params: more parameters for the request-token call (e.g.
                ``x_auth_access_type``).
            http_client: the client for the provider.

        Returns:
            An awaitable that finishes once the redirect is sent.

        Raises:
            AuthError: (when awaited) a callback URL for a provider that
                takes none, or the provider refused or garbled the request
                token.
        """
        client = http_client or self.get_auth_http_client()
        return start(self, self._authorize_redirect(callback_uri, extra_params, client))

    async def _authorize_redirect(
        self,
        callback_uri: str | None,
        extra_params: Mapping[str, str] | None,
        client: AsyncHTTPClient,
        authorize_url: str | None = None,
    ) -> None:
        what = "OAuth request token"
        if callback_uri and self._OAUTH_NO_CALLBACKS:
            raise AuthError(f"{type(self).__name__}: this provider does not accept a callback URL")
        url = self._oauth_endpoint("_OAUTH_REQUEST_TOKEN_URL")
        authorize = authorize_url or self._oauth_endpoint("_OAUTH_AUTHORIZE_URL")
        if callback_uri == "oob" or self._OAUTH_NO_CALLBACKS:
            callback = "oob"
        else:
            callback = urllib.parse.urljoin(self.request.full_url(), callback_uri or self.request.uri)
        extra = {"oauth_callback": callback, **(extra_params or {})}
        token = await self._signed_token_request(client, what, url, None, extra)
        # RFC 5849 2.1: the server MUST confirm it took the callback.
        if token.get("oauth_callback_confirmed") != "true":
            raise AuthError(f"{what}: the provider did not confirm the callback (oauth_callback_confirmed)")
        self.set_signed_cookie(
            _COOKIE,
            _b64(token["key"]) + "|" + _b64(token["secret"]),
            expires_days=None,
            max_age=_COOKIE_MAX_AGE,
            **self._secure_cookie_flags(),
        )
        query = urllib.parse.urlencode({"oauth_token": token["key"]})
        self.redirect(authorize + ("&" if "?" in authorize else "?") + query)

    def get_authenticated_user(
        self,
        http_client: AsyncHTTPClient | Callable[[Any], object] | None = None,
        callback: Callable[[Any], object] | None = None,
    ) -> Any:
        """Finish sign-in on the callback URL: get the access token and the user.

        Args:
            http_client: the client for the provider (a callable here is
                taken as ``callback``, the spec's positional form).
            callback: called with the user, or ``None`` on failure (logged).

        Returns:
            An awaitable of the user dict from `_oauth_get_user_future`,
            with the access token (``{"key", "secret", ...}``) under
            ``"access_token"``.

        Raises:
            AuthError: (when awaited) the user denied access, the request
                token cookie is missing or does not match, or the provider
                refused the verifier.
        """
        if callable(http_client) and not isinstance(http_client, AsyncHTTPClient):
            callback, http_client = http_client, None
        client = http_client if isinstance(http_client, AsyncHTTPClient) else self.get_auth_http_client()
        return start(self, self._oauth_verify(client), callback)

    def _request_token_from_cookie(self) -> dict[str, str]:
        raw = self.get_signed_cookie(_COOKIE, max_age_days=_COOKIE_MAX_AGE / 86400)
        if raw is None:
            raise AuthError(
                "OAuth sign-in: the request token cookie is missing, expired or forged; "
                "start the sign-in again"
            )
        try:
            key, secret = raw.decode("ascii").split("|")
            return {"key": _unb64(key), "secret": _unb64(secret)}
        except (ValueError, UnicodeDecodeError, binascii.Error) as error:
            raise AuthError("OAuth sign-in: the request token cookie is malformed") from error

    async def _oauth_verify(self, client: AsyncHTTPClient) -> dict[str, Any]:
        what = "OAuth sign-in"
        url = self._oauth_endpoint("_OAUTH_ACCESS_TOKEN_URL")
        if self.get_argument("denied", None) is not None:
            self.clear_cookie(_COOKIE)
            raise AuthError(f"{what}: the user denied access at the provider")
        returned = self.get_argument("oauth_token", None)
        if not returned:
            raise AuthError(f"{what}: the callback has no oauth_token")
        token = self._request_token_from_cookie()
        self.clear_cookie(_COOKIE)
        if not hmac.compare_digest(token["key"].encode(), returned.encode()):
            raise AuthError(f"{what}: oauth_token does not match the request token of this browser")
        verifier = self.get_argument("oauth_verifier", None)
        if not verifier:
            raise AuthError(f"{what}: the callback has no oauth_verifier")
        access = await self._signed_token_request(
            client, "OAuth access token", url, token, {"oauth_verifier": verifier}
        )
        user = await self._oauth_get_user_future(access)
        if not user:
            raise AuthError(f"{what}: the provider returned no user")
        user["access_token"] = access
        return user

    async def _oauth_signed_fetch(
        self,
        what: str,
        url: str,
        access_token: Mapping[str, str],
        post_args: Mapping[str, Any] | None,
        args: Mapping[str, Any],
        client: AsyncHTTPClient | None = None,
    ) -> bytes:
        """Fetch ``url`` signed with ``access_token``; return the 2xx body."""
        client = client or self.get_auth_http_client()
        if args:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(
                [(k, str(v)) for k, v in args.items()]
            )
        method = "POST" if post_args is not None else "GET"
        params = self._oauth_request_parameters(url, access_token, post_args, method)
        headers = {"Authorization": oauth1_authorization_header(params)}
        body = None
        if post_args is not None:
            body = urllib.parse.urlencode([(k, str(v)) for k, v in post_args.items()])
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = await fetch_provider(client, what, url, method=method, body=body, headers=headers)
        if not 200 <= response.code < 300:
            raise AuthError(f"{what}: the provider answered {provider_error(response)}")
        return response.body
