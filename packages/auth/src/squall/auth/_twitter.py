"""Twitter (X) sign-in over OAuth 1.0a: `TwitterMixin`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._common import start
from ._errors import AuthError
from ._oauth1 import OAuthMixin

__all__ = ["TwitterMixin"]


class TwitterMixin(OAuthMixin):
    """Sign in with Twitter (X) and call its v1.1 API (OAuth 1.0a).

    Settings: ``twitter_consumer_key`` and ``twitter_consumer_secret`` (the
    app's API key and secret), plus ``cookie_secret``.

    Example::

        class TwitterLoginHandler(squall.web.RequestHandler, squall.auth.TwitterMixin):
            async def get(self):
                if self.get_argument("oauth_token", None):
                    user = await self.get_authenticated_user()
                    self.set_signed_cookie("user", user["username"])
                    self.redirect(self.get_safe_next_url())
                else:
                    await self.authorize_redirect(callback_uri=self.request.uri)

    The endpoints are class attributes (``_OAUTH_*_URL``,
    ``_TWITTER_BASE_URL``) so tests can point them at a fake provider.
    """

    _OAUTH_REQUEST_TOKEN_URL = "https://api.twitter.com/oauth/request_token"
    _OAUTH_ACCESS_TOKEN_URL = "https://api.twitter.com/oauth/access_token"
    _OAUTH_AUTHORIZE_URL = "https://api.twitter.com/oauth/authorize"
    _OAUTH_AUTHENTICATE_URL = "https://api.twitter.com/oauth/authenticate"
    _OAUTH_NO_CALLBACKS = False
    _TWITTER_BASE_URL = "https://api.twitter.com/1.1"

    def authenticate_redirect(self, callback_uri: str | None = None) -> Any:
        """Like `authorize_redirect`, but skips the prompt for users who already authorised the app.

        Returns:
            An awaitable that finishes once the redirect is sent.

        Raises:
            AuthError: (when awaited) the provider refused the request token.
        """
        client = self.get_auth_http_client()
        return start(
            self,
            self._authorize_redirect(
                callback_uri, None, client, authorize_url=self._oauth_endpoint("_OAUTH_AUTHENTICATE_URL")
            ),
        )

    def twitter_request(
        self,
        path: str,
        access_token: Mapping[str, str],
        post_args: Mapping[str, Any] | None = None,
        **args: Any,
    ) -> Any:
        """Call the Twitter API on the user's behalf.

        Args:
            path: an API path such as ``"/statuses/update"`` (``.json`` is
                appended), or a full URL.
            access_token: the user's ``access_token`` from
                `get_authenticated_user`.
            post_args: form arguments; given, the request is a POST.
            **args: query arguments.

        Returns:
            An awaitable of the decoded JSON answer.

        Raises:
            AuthError: (when awaited) the API answered an error, or not JSON.
        """
        if path.startswith(("http://", "https://")):
            url = path
        else:
            url = self._TWITTER_BASE_URL + path + ".json"
        return start(self, self._twitter_request(url, access_token, post_args, args))

    async def _twitter_request(
        self,
        url: str,
        access_token: Mapping[str, str],
        post_args: Mapping[str, Any] | None,
        args: Mapping[str, Any],
    ) -> Any:
        what = "Twitter API request"
        body = await self._oauth_signed_fetch(what, url, access_token, post_args, args)
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise AuthError(f"{what}: the answer is not valid JSON ({error})") from error

    def _oauth_consumer_token(self) -> dict[str, str]:
        self.require_setting("twitter_consumer_key", "Twitter sign-in")
        self.require_setting("twitter_consumer_secret", "Twitter sign-in")
        return {
            "key": self.settings["twitter_consumer_key"],
            "secret": self.settings["twitter_consumer_secret"],
        }

    async def _oauth_get_user_future(self, access_token: dict[str, Any]) -> dict[str, Any] | None:
        user = await self._twitter_request(
            self._TWITTER_BASE_URL + "/account/verify_credentials.json", access_token, None, {}
        )
        if not isinstance(user, dict) or not isinstance(user.get("screen_name"), str):
            raise AuthError("Twitter sign-in: verify_credentials returned no screen_name")
        user["username"] = user["screen_name"]
        return user
