"""OAuth 2.0 authorization code flow with state and PKCE: `OAuth2Mixin`.

How this works: `OAuth2Mixin.authorize_redirect` makes a fresh ``state``, a
PKCE ``code_verifier`` (RFC 7636) and, for OpenID Connect providers, a
``nonce``; it keeps them in a short-lived signed cookie and sends the
browser to the provider with ``state``, the S256 ``code_challenge`` (and
the nonce). When the provider sends the browser back,
`OAuth2Mixin.get_authenticated_user` requires the returned ``state`` to
equal the cookie's (so nobody can complete a sign-in they did not start in
this browser: login CSRF, RFC 6749 10.12), clears the cookie, and trades the
``code`` plus the verifier for tokens at the token endpoint.
"""

from __future__ import annotations

import hmac
import json
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from squall.httpclient import AsyncHTTPClient

from ._common import AuthMixinBase, fetch_provider, json_object, provider_error, start, url_concat
from ._errors import AuthError
from ._pkce import make_code_verifier, make_state, pkce_challenge

__all__ = ["OAuth2Mixin"]

_COOKIE = "_oauth2_state"
_COOKIE_MAX_AGE = 15 * 60  # seconds a sign-in may take at the provider


@dataclass(frozen=True)
class _Flow:
    """What one browser's sign-in attempt remembers between the two legs."""

    state: str
    verifier: str | None
    nonce: str | None

    def encode(self) -> str:
        return json.dumps({"s": self.state, "v": self.verifier, "n": self.nonce}, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: bytes) -> _Flow:
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise AuthError("OAuth 2.0 sign-in: the state cookie is malformed") from error
        if not isinstance(data, dict) or not isinstance(data.get("s"), str):
            raise AuthError("OAuth 2.0 sign-in: the state cookie is malformed")
        verifier, nonce = data.get("v"), data.get("n")
        if not isinstance(verifier, (str, type(None))) or not isinstance(nonce, (str, type(None))):
            raise AuthError("OAuth 2.0 sign-in: the state cookie is malformed")
        return cls(data["s"], verifier, nonce)


class OAuth2Mixin(AuthMixinBase):
    """Sign users in and call APIs with OAuth 2.0 (authorization code flow).

    Subclasses set the provider's endpoints:

    Attributes:
        _OAUTH_AUTHORIZE_URL: the page the user is sent to.
        _OAUTH_ACCESS_TOKEN_URL: the token endpoint.
        _OAUTH_SETTINGS_KEY: the application setting holding
            ``{"key": client_id, "secret": client_secret}``, used when
            ``client_id``/``client_secret`` are not passed.
        _OAUTH_PKCE: send a PKCE S256 challenge (default True).
        _OAUTH_NONCE: send a ``nonce`` (OpenID Connect; default False).
        _OAUTH_ACCESS_TOKEN_METHOD: ``"POST"`` (default) or ``"GET"``.

    ``state`` is always sent and checked, against a signed cookie, so the
    application needs the ``cookie_secret`` setting.

    Compatibility: `oauth2_request` sends the access token in an
    ``Authorization: Bearer`` header (RFC 6750 2.1) rather than the query
    string, where it would end up in logs.
    """

    _OAUTH_AUTHORIZE_URL: str = ""
    _OAUTH_ACCESS_TOKEN_URL: str = ""
    _OAUTH_SETTINGS_KEY: str = ""
    _OAUTH_PKCE: bool = True
    _OAUTH_NONCE: bool = False
    _OAUTH_ACCESS_TOKEN_METHOD: str = "POST"

    def _oauth2_endpoint(self, name: str) -> str:
        url: str = getattr(self, name)
        if not url:
            raise AuthError(f"{type(self).__name__} has no {name}: set it to the provider's URL")
        return url

    def _oauth2_client(self, client_id: str | None, client_secret: str | None) -> tuple[str, str | None]:
        """``client_id``/``client_secret``, defaulting to the ``_OAUTH_SETTINGS_KEY`` setting."""
        if (client_id is None or client_secret is None) and self._OAUTH_SETTINGS_KEY:
            self.require_setting(self._OAUTH_SETTINGS_KEY, f"{type(self).__name__} sign-in")
            conf = self.settings[self._OAUTH_SETTINGS_KEY]
            if not isinstance(conf, Mapping) or "key" not in conf:
                raise AuthError(
                    f"the {self._OAUTH_SETTINGS_KEY!r} setting must be a dict with 'key' and 'secret'"
                )
            client_id = client_id if client_id is not None else conf["key"]
            client_secret = client_secret if client_secret is not None else conf.get("secret")
        if not client_id:
            raise AuthError(f"{type(self).__name__}: no client_id given and no settings to find it in")
        return client_id, client_secret

    def authorize_redirect(
        self,
        redirect_uri: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        extra_params: Mapping[str, Any] | None = None,
        scope: Sequence[str] | str | None = None,
        response_type: str = "code",
    ) -> None:
        """Redirect the browser to the provider's authorisation page.

        Args:
            redirect_uri: where the provider sends the user back (absolute;
                registered with the provider).
            client_id: the app's client id (default from settings).
            client_secret: unused here (the secret never goes to the
                browser); accepted for compatibility.
            extra_params: more query parameters (``prompt``,
                ``access_type``...).
            scope: scopes, a list or a space-separated string.
            response_type: ``"code"`` (the flow `get_authenticated_user`
                completes).

        Raises:
            ConfigurationError: the ``cookie_secret`` setting is missing.
            AuthError: no client id, or the endpoint is not set.
        """
        del client_secret
        url = self._oauth2_endpoint("_OAUTH_AUTHORIZE_URL")
        client_id, _ = self._oauth2_client(client_id, "")
        flow = _Flow(
            state=make_state(),
            verifier=make_code_verifier() if self._OAUTH_PKCE else None,
            nonce=make_state() if self._OAUTH_NONCE else None,
        )
        self.set_signed_cookie(
            _COOKIE,
            flow.encode(),
            expires_days=None,
            max_age=_COOKIE_MAX_AGE,
            **self._secure_cookie_flags(),
        )
        args: dict[str, Any] = {"response_type": response_type, "client_id": client_id}
        if redirect_uri is not None:
            args["redirect_uri"] = redirect_uri
        if scope:
            args["scope"] = scope if isinstance(scope, str) else " ".join(scope)
        args["state"] = flow.state
        if flow.verifier is not None:
            args["code_challenge"] = pkce_challenge(flow.verifier)
            args["code_challenge_method"] = "S256"
        if flow.nonce is not None:
            args["nonce"] = flow.nonce
        for key, value in (extra_params or {}).items():
            if key in ("state", "code_challenge", "code_challenge_method", "nonce"):
                raise ValueError(f"extra_params may not set {key!r}: the mixin makes it")
            args[key] = value
        self.redirect(url_concat(url, args))

    def _check_callback(self) -> _Flow:
        """The flow this browser started, once the callback's ``state`` matches it."""
        what = "OAuth 2.0 sign-in"
        error = self.get_argument("error", None)
        if error is not None:
            self.clear_cookie(_COOKIE)
            description = self.get_argument("error_description", "")
            detail = f" ({description[:200]})" if description else ""
            raise AuthError(f"{what}: the provider returned error {error[:100]!r}{detail}")
        raw = self.get_signed_cookie(_COOKIE, max_age_days=_COOKIE_MAX_AGE / 86400)
        if raw is None:
            raise AuthError(
                f"{what}: the state cookie is missing, expired or forged; start the sign-in again"
            )
        flow = _Flow.decode(raw)
        returned = self.get_argument("state", None)
        if returned is None:
            raise AuthError(f"{what}: the callback has no state parameter")
        if not hmac.compare_digest(returned.encode(), flow.state.encode()):
            raise AuthError(
                f"{what}: state does not match this browser's sign-in (possible login CSRF)"
            )
        self.clear_cookie(_COOKIE)
        return flow

    def get_authenticated_user(
        self,
        redirect_uri: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        code: str | None = None,
        extra_params: Mapping[str, Any] | None = None,
        http_client: AsyncHTTPClient | None = None,
        callback: Callable[[Any], object] | None = None,
    ) -> Any:
        """Finish sign-in on the redirect URI: check ``state``, trade the code for tokens.

        Args:
            redirect_uri: the same ``redirect_uri`` given to
                `authorize_redirect`.
            client_id: the app's client id (default from settings).
            client_secret: the app's secret (default from settings).
            code: the authorization code (default the ``code`` argument).
            extra_params: more token-request parameters.
            http_client: the client for the provider.
            callback: called with the result, or ``None`` on failure (logged).

        Returns:
            An awaitable of the token endpoint's answer (``access_token``,
            ``token_type``, ``expires_in``, ...).

        Raises:
            AuthError: (when awaited) the provider returned an error, the
                state does not match, or the token request failed.
        """
        client = http_client or self.get_auth_http_client()
        return start(
            self,
            self._oauth2_finish(client, redirect_uri, client_id, client_secret, code, extra_params),
            callback,
        )

    async def _oauth2_finish(
        self,
        client: AsyncHTTPClient,
        redirect_uri: str | None,
        client_id: str | None,
        client_secret: str | None,
        code: str | None,
        extra_params: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        token, _flow = await self._oauth2_exchange(
            client, redirect_uri, client_id, client_secret, code, extra_params
        )
        return token

    async def _oauth2_exchange(
        self,
        client: AsyncHTTPClient,
        redirect_uri: str | None,
        client_id: str | None,
        client_secret: str | None,
        code: str | None,
        extra_params: Mapping[str, Any] | None,
    ) -> tuple[dict[str, Any], _Flow]:
        what = "OAuth 2.0 token request"
        flow = self._check_callback()
        code = code or self.get_argument("code", None)
        if not code:
            raise AuthError("OAuth 2.0 sign-in: the callback has no code")
        url = self._oauth2_endpoint("_OAUTH_ACCESS_TOKEN_URL")
        client_id, client_secret = self._oauth2_client(client_id, client_secret)
        args: dict[str, Any] = {"grant_type": "authorization_code", "code": code, "client_id": client_id}
        if redirect_uri is not None:
            args["redirect_uri"] = redirect_uri
        if client_secret:
            args["client_secret"] = client_secret
        if flow.verifier is not None:
            args["code_verifier"] = flow.verifier
        args.update(extra_params or {})
        if self._OAUTH_ACCESS_TOKEN_METHOD == "GET":
            response = await fetch_provider(client, what, url_concat(url, args))
        else:
            response = await fetch_provider(
                client,
                what,
                url,
                method="POST",
                body=urllib.parse.urlencode(args),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        token = json_object(response, what)
        # Some providers (GitHub) report errors with a 200 answer.
        if "error" in token:
            raise AuthError(f"{what}: the provider answered {provider_error(response)}")
        if not isinstance(token.get("access_token"), str) or not token["access_token"]:
            raise AuthError(f"{what}: the answer has no access_token")
        return token, flow

    def oauth2_request(
        self,
        url: str,
        access_token: str | None = None,
        post_args: Mapping[str, Any] | None = None,
        **args: Any,
    ) -> Any:
        """Call an OAuth 2.0 API on the user's behalf.

        Args:
            url: the API URL.
            access_token: the user's access token (sent as a Bearer token).
            post_args: form arguments; given, the request is a POST.
            **args: query arguments.

        Returns:
            An awaitable of the decoded JSON answer.

        Raises:
            AuthError: (when awaited) the API answered an error, or not JSON.
        """
        return start(self, self._oauth2_request(url, access_token, post_args, args))

    async def _oauth2_request(
        self,
        url: str,
        access_token: str | None,
        post_args: Mapping[str, Any] | None,
        args: Mapping[str, Any],
        what: str = "OAuth 2.0 API request",
        extra_headers: Mapping[str, str] | None = None,
        json_body: bool = False,
    ) -> Any:
        full = url_concat(url, args)
        headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
        headers.update(extra_headers or {})
        client = self.get_auth_http_client()
        if post_args is not None:
            if json_body:
                headers["Content-Type"] = "application/json"
                body = json.dumps(post_args)
            else:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                body = urllib.parse.urlencode(post_args)
            response = await fetch_provider(client, what, full, method="POST", body=body, headers=headers)
        else:
            response = await fetch_provider(client, what, full, headers=headers)
        if not 200 <= response.code < 300:
            raise AuthError(f"{what}: the provider answered {provider_error(response)}")
        try:
            return json.loads(response.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise AuthError(f"{what}: the answer is not valid JSON ({error})") from error
