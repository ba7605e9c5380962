"""Google sign-in with OpenID Connect: `GoogleOAuth2Mixin`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from squall.httpclient import AsyncHTTPClient

from ._common import start
from ._errors import AuthError
from ._jwks_cache import signing_keys
from ._jwt import token_key_id, verify_id_token
from ._oauth2 import OAuth2Mixin

__all__ = ["GoogleOAuth2Mixin"]


class GoogleOAuth2Mixin(OAuth2Mixin):
    """Sign in with Google (OpenID Connect) and call Google APIs (OAuth 2.0).

    Settings: ``google_oauth = {"key": CLIENT_ID, "secret": CLIENT_SECRET}``
    and ``cookie_secret``.

    `get_authenticated_user` checks ``state``, trades the code (with PKCE)
    for tokens, validates the ``id_token`` (RS256 signature with Google's
    published keys, issuer, audience, expiry and the nonce sent with the
    request), and fetches the userinfo for the same subject.

    Example::

        class GoogleLoginHandler(squall.web.RequestHandler, squall.auth.GoogleOAuth2Mixin):
            async def get(self):
                redirect_uri = "https://example.com/auth/google"
                if self.get_argument("code", None) or self.get_argument("error", None):
                    user = await self.get_authenticated_user(redirect_uri=redirect_uri)
                    self.set_signed_cookie("user", user["email"])
                    self.redirect("/")
                else:
                    self.authorize_redirect(redirect_uri=redirect_uri, scope=["profile", "email"])

    The endpoints are class attributes (``_OAUTH_AUTHORIZE_URL``,
    ``_OAUTH_ACCESS_TOKEN_URL``, ``_OAUTH_USERINFO_URL``,
    ``_OAUTH_JWKS_URL``, ``_OIDC_ISSUERS``) so tests can point them at a
    fake provider.

    Compatibility: `get_authenticated_user` returns the user (userinfo
    claims) with the tokens in it, where Tornado returns only the token
    answer; ``user["access_token"]`` works in both.
    """

    _OAUTH_AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
    _OAUTH_ACCESS_TOKEN_URL = "https://oauth2.googleapis.com/token"
    _OAUTH_USERINFO_URL = "https://openidconnect.googleapis.com/v1/userinfo"
    _OAUTH_JWKS_URL = "https://www.googleapis.com/oauth2/v3/certs"
    _OIDC_ISSUERS: tuple[str, ...] = ("https://accounts.google.com", "accounts.google.com")
    _OAUTH_SETTINGS_KEY = "google_oauth"
    _OAUTH_NONCE = True
    _OAUTH_NO_CALLBACKS = False

    def get_google_oauth_settings(self) -> dict[str, str]:
        """The ``google_oauth`` setting: ``{"key": client_id, "secret": client_secret}``.

        Override to take the credentials from elsewhere.

        Raises:
            ConfigurationError: the setting is missing.
        """
        self.require_setting("google_oauth", "Google sign-in")
        return dict(self.settings["google_oauth"])

    def _oauth2_client(self, client_id: str | None, client_secret: str | None) -> tuple[str, str | None]:
        if client_id is None or client_secret is None:
            conf = self.get_google_oauth_settings()
            client_id = client_id if client_id is not None else conf.get("key")
            client_secret = client_secret if client_secret is not None else conf.get("secret")
        if not client_id:
            raise AuthError("GoogleOAuth2Mixin: no client_id (set google_oauth = {'key': ..., 'secret': ...})")
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
        """Redirect to Google's sign-in page (``openid`` is always in the scope).

        Args:
            redirect_uri: your registered redirect URI.
            client_id: default ``google_oauth["key"]``.
            client_secret: unused (compatibility).
            extra_params: e.g. ``{"prompt": "select_account"}``.
            scope: default ``["openid", "profile", "email"]``.
            response_type: ``"code"``.
        """
        scopes = ["openid", "profile", "email"] if scope is None else (
            scope.split() if isinstance(scope, str) else list(scope)
        )
        if "openid" not in scopes:
            scopes.insert(0, "openid")
        super().authorize_redirect(
            redirect_uri, client_id, client_secret, extra_params, scopes, response_type
        )

    def get_authenticated_user(  # type: ignore[override]
        self,
        redirect_uri: str | None = None,
        code: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        http_client: AsyncHTTPClient | None = None,
        callback: Callable[[Any], object] | None = None,
    ) -> Any:
        """Finish Google sign-in on the redirect URI and return the verified user.

        Args:
            redirect_uri: the same value given to `authorize_redirect`.
            code: default the ``code`` argument.
            client_id: default ``google_oauth["key"]``.
            client_secret: default ``google_oauth["secret"]``.
            http_client: the client for Google.
            callback: called with the user, or ``None`` on failure (logged).

        Returns:
            An awaitable of the userinfo claims (``sub``, ``email``,
            ``name``, ``picture``, ...) plus ``access_token``,
            ``expires_in``, ``id_token`` (the raw token), ``claims`` (its
            verified claims), ``refresh_token`` when Google sent one, and
            ``token`` (the whole token answer).

        Raises:
            AuthError: (when awaited) any failed step or check.
        """
        client = http_client or self.get_auth_http_client()
        return start(self, self._google_finish(client, redirect_uri, code, client_id, client_secret), callback)

    async def _google_finish(
        self,
        client: AsyncHTTPClient,
        redirect_uri: str | None,
        code: str | None,
        client_id: str | None,
        client_secret: str | None,
    ) -> dict[str, Any]:
        token, flow = await self._oauth2_exchange(client, redirect_uri, client_id, client_secret, code, None)
        client_id, _ = self._oauth2_client(client_id, "")
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise AuthError("Google sign-in: the token answer has no id_token (is 'openid' in the scope?)")
        keys = await signing_keys(
            getattr(self, "application", None),
            client,
            "Google signing keys",
            self._OAUTH_JWKS_URL,
            token_key_id(id_token),
        )
        claims = verify_id_token(
            id_token, keys, issuers=self._OIDC_ISSUERS, audience=client_id, nonce=flow.nonce
        )
        info = await self._oauth2_request(
            self._OAUTH_USERINFO_URL, token["access_token"], None, {}, what="Google userinfo request"
        )
        if not isinstance(info, dict):
            raise AuthError("Google userinfo request: the answer is not a JSON object")
        # OpenID Connect Core 5.3.2: the userinfo must be about the token's subject.
        if info.get("sub") != claims["sub"]:
            raise AuthError("Google sign-in: the userinfo is about another user than the id_token")
        user: dict[str, Any] = dict(info)
        user["access_token"] = token["access_token"]
        user["id_token"] = id_token
        user["claims"] = claims
        user["token"] = token
        for key in ("expires_in", "refresh_token"):
            if key in token:
                user[key] = token[key]
        return user
