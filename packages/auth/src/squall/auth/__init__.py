"""squall.auth: sign users in through other sites and call their APIs.

Mix a provider class into a `squall.web.RequestHandler`:

* OAuth 2.0 / OpenID Connect: `GoogleOAuth2Mixin`, `FacebookGraphMixin`,
  `GitHubOAuth2Mixin`, and `OAuth2Mixin` for other providers;
* OAuth 1.0a: `TwitterMixin`, and `OAuthMixin` for other providers;
* OpenID 2.0: `OpenIdMixin` (and `GoogleMixin`, the spec's name for it).

Every failure raises `AuthError` (or, in the callback style, calls back with
``None`` and logs why). The flows keep their state in signed cookies, so the
application needs the ``cookie_secret`` setting.
"""

from ._common import AuthMixinBase as AuthMixinBase
from ._common import Pending as Pending
from ._common import safe_next_url as safe_next_url
from ._errors import AuthError as AuthError
from ._facebook import FacebookGraphMixin as FacebookGraphMixin
from ._github import GitHubOAuth2Mixin as GitHubOAuth2Mixin
from ._google import GoogleOAuth2Mixin as GoogleOAuth2Mixin
from ._jwt import parse_jwks as parse_jwks
from ._jwt import verify_id_token as verify_id_token
from ._oauth1 import OAuthMixin as OAuthMixin
from ._oauth1_sign import oauth1_signature as oauth1_signature
from ._oauth2 import OAuth2Mixin as OAuth2Mixin
from ._openid import GoogleMixin as GoogleMixin
from ._openid import OpenIdMixin as OpenIdMixin
from ._pkce import pkce_challenge as pkce_challenge
from ._rsa import RSAPublicKey as RSAPublicKey
from ._twitter import TwitterMixin as TwitterMixin

__all__ = [
    "AuthError",
    "AuthMixinBase",
    "FacebookGraphMixin",
    "GitHubOAuth2Mixin",
    "GoogleMixin",
    "GoogleOAuth2Mixin",
    "OAuth2Mixin",
    "OAuthMixin",
    "OpenIdMixin",
    "Pending",
    "RSAPublicKey",
    "TwitterMixin",
    "oauth1_signature",
    "parse_jwks",
    "pkce_challenge",
    "safe_next_url",
    "verify_id_token",
]
