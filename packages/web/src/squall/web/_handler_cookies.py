"""Cookie, signed-cookie and XSRF methods of `RequestHandler`.

A mixin so the handler module stays readable; `RequestHandler` is the only
class that uses it. The formats live in `_cookies`, `_signing` and `_xsrf`.
"""

from __future__ import annotations

import datetime
import http.cookies
import time
from typing import TYPE_CHECKING, Any, cast

from squall import escape

from . import _signing, _xsrf
from ._cookies import format_set_cookie
from ._errors import ConfigurationError, HTTPError

if TYPE_CHECKING:
    from squall.httputil import HTTPServerRequest

__all__ = ["CookieMixin"]


class CookieMixin:
    """Cookies, signed cookies and XSRF protection (part of `RequestHandler`)."""

    if TYPE_CHECKING:
        request: HTTPServerRequest
        _new_cookies: dict[str, str] | None

        @property
        def settings(self) -> dict[str, Any]: ...

        def get_argument(self, name: str, default: Any = ..., strip: bool = ...) -> Any: ...

    def require_setting(self, name: str, feature: str = "this feature") -> None:
        """Raise `ConfigurationError` if the application setting ``name`` is missing."""
        if not self.settings.get(name):
            raise ConfigurationError(
                f"you must define the '{name}' setting in your application to use {feature}"
            )

    # ------------------------------------------------------------------
    # Cookies

    @property
    def cookies(self) -> dict[str, http.cookies.Morsel[str]]:
        """The request's cookies (alias of ``self.request.cookies``)."""
        return self.request.cookies

    def get_cookie(self, name: str, default: str | None = None) -> str | None:
        """The value of the request cookie ``name``, or ``default``."""
        cookies = self.request.cookies
        if name in cookies:
            morsel = cookies[name]
            return cast(str, getattr(morsel, "value", morsel))
        return default

    def set_cookie(
        self,
        name: str,
        value: str | bytes,
        domain: str | None = None,
        expires: float | datetime.datetime | None = None,
        path: str = "/",
        expires_days: float | None = None,
        max_age: int | None = None,
        httponly: bool = False,
        secure: bool = False,
        samesite: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Set a cookie on the response.

        Args:
            name: the cookie name (a token).
            value: the value; bytes are decoded as Latin-1.
            domain: the ``Domain`` attribute.
            expires: an absolute expiry (timestamp or datetime).
            path: the ``Path`` attribute (default ``/``).
            expires_days: expiry in days from now (if ``expires`` is unset).
            max_age: the ``Max-Age`` attribute, in seconds.
            httponly: hide the cookie from scripts.
            secure: send the cookie only over HTTPS.
            samesite: ``"Strict"``, ``"Lax"`` or ``"None"``.
            **kwargs: attribute names in any case (``HttpOnly=True``...) for
                compatibility with Morsel-style calls.

        Raises:
            ValueError: a name, value or attribute contains characters that
                could inject other attributes or headers (``;``, CR, LF,
                other control characters), or ``samesite`` is unknown.
        """
        for key, extra in kwargs.items():
            lowered = key.lower().replace("-", "_")
            if lowered == "httponly":
                httponly = bool(extra)
            elif lowered == "secure":
                secure = bool(extra)
            elif lowered == "samesite":
                samesite = extra
            elif lowered == "max_age":
                max_age = extra
            else:
                raise TypeError(f"set_cookie got an unknown attribute {key!r}")
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        header = format_set_cookie(
            name,
            value,
            domain=domain,
            expires=expires,
            path=path,
            expires_days=expires_days,
            max_age=max_age,
            httponly=httponly,
            secure=secure,
            samesite=samesite,
        )
        if self._new_cookies is None:
            self._new_cookies = {}
        self._new_cookies[name] = header

    def clear_cookie(self, name: str, path: str = "/", domain: str | None = None, **kwargs: Any) -> None:
        """Delete a cookie by sending it expired.

        ``path`` and ``domain`` (and e.g. ``secure``/``samesite``) must match
        the ones it was set with.
        """
        kwargs.pop("expires", None)
        kwargs.pop("expires_days", None)
        kwargs.pop("max_age", None)
        self.set_cookie(
            name, "", path=path, domain=domain, expires=0, max_age=0, **kwargs
        )

    def clear_all_cookies(self, path: str = "/", domain: str | None = None, **kwargs: Any) -> None:
        """Delete every cookie the request sent (same ``path``/``domain`` caveat)."""
        for name in list(self.request.cookies):
            self.clear_cookie(name, path=path, domain=domain, **kwargs)

    def _cookie_secret(self) -> tuple[_signing.SecretType, int | None]:
        self.require_setting("cookie_secret", "signed cookies")
        secret = self.settings["cookie_secret"]
        key_version = self.settings.get("key_version")
        if isinstance(secret, dict) and key_version is None:
            raise ConfigurationError(
                "cookie_secret is a dict of key versions: add the 'key_version' "
                "setting to choose the key that signs new cookies"
            )
        return secret, key_version

    def create_signed_value(self, name: str, value: str | bytes, version: int | None = None) -> bytes:
        """Sign ``value`` with the ``cookie_secret`` setting (see `create_signed_value`)."""
        secret, key_version = self._cookie_secret()
        return _signing.create_signed_value(
            secret, name, value, version=version, key_version=key_version
        )

    def set_signed_cookie(
        self,
        name: str,
        value: str | bytes,
        expires_days: float | None = 30,
        version: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Set a cookie signed (not encrypted) with ``cookie_secret``.

        Read it back with `get_signed_cookie`; clients can read but not
        forge it.

        Raises:
            ConfigurationError: the ``cookie_secret`` setting is missing.
        """
        self.set_cookie(
            name,
            self.create_signed_value(name, value, version=version),
            expires_days=expires_days,
            **kwargs,
        )

    set_secure_cookie = set_signed_cookie

    def get_signed_cookie(
        self,
        name: str,
        value: str | None = None,
        max_age_days: float = 31,
        min_version: int | None = None,
    ) -> bytes | None:
        """The verified value of a signed cookie, or ``None``.

        Returns ``None`` when the cookie is missing, tampered with, signed for
        another name or key, or older than ``max_age_days``.

        Raises:
            ConfigurationError: the ``cookie_secret`` setting is missing.
        """
        self.require_setting("cookie_secret", "signed cookies")
        if value is None:
            value = self.get_cookie(name)
        return _signing.decode_signed_value(
            self.settings["cookie_secret"],
            name,
            value,
            max_age_days=max_age_days,
            min_version=min_version,
        )

    get_secure_cookie = get_signed_cookie

    def get_signed_cookie_key_version(self, name: str, value: str | None = None) -> int | None:
        """The key version of a signed cookie (unverified), or ``None``."""
        self.require_setting("cookie_secret", "signed cookies")
        if value is None:
            value = self.get_cookie(name)
        return _signing.get_signature_key_version(value)

    get_secure_cookie_key_version = get_signed_cookie_key_version

    # ------------------------------------------------------------------
    # XSRF

    @property
    def xsrf_token(self) -> bytes:
        """The XSRF token for this page, freshly masked (set the cookie if needed).

        Each access to a new handler gives different bytes for the same secret,
        so the token cannot be learned through response-compression side
        channels (BREACH).
        """
        token = self.__dict__.get("_xsrf_token")
        if token is None:
            found = self._get_raw_xsrf_token()
            version = self.settings.get("xsrf_cookie_version", 2)
            token = _xsrf.encode_token(found[0], found[1], version=version)
            self.__dict__["_xsrf_token"] = token
            if not found[2]:
                cookie_kwargs = dict(self.settings.get("xsrf_cookie_kwargs") or {})
                if "expires_days" not in cookie_kwargs and "expires" not in cookie_kwargs:
                    cookie_kwargs["expires_days"] = 30
                self.set_cookie(self._xsrf_cookie_name(), token.decode("ascii"), **cookie_kwargs)
        return cast(bytes, token)

    def _xsrf_cookie_name(self) -> str:
        return cast(str, self.settings.get("xsrf_cookie_name", "_xsrf"))

    def _get_raw_xsrf_token(self) -> tuple[bytes, float, bool]:
        """``(token, timestamp, from_cookie)``; a new token if the cookie is bad."""
        raw = self.__dict__.get("_raw_xsrf_token")
        if raw is None:
            decoded = _xsrf.decode_token(self.get_cookie(self._xsrf_cookie_name()))
            if decoded is None:
                raw = (_xsrf.new_token(), time.time(), False)
            else:
                raw = (decoded[0], decoded[1], True)
            self.__dict__["_raw_xsrf_token"] = raw
        return cast("tuple[bytes, float, bool]", raw)

    def check_xsrf_cookie(self) -> None:
        """Refuse the request (403) unless its XSRF token matches the cookie.

        The token is read from the ``_xsrf`` argument or the ``X-XSRFToken``
        / ``X-CSRFToken`` header. With the ``xsrf_origin_check`` setting,
        cross-site requests (by ``Sec-Fetch-Site`` or ``Origin``) are refused
        too. Override to change the policy per handler.

        Raises:
            HTTPError: 403 when the check fails.
        """
        if self.settings.get("xsrf_origin_check"):
            self._check_xsrf_origin()
        headers = self.request.headers
        token = (
            self.get_argument("_xsrf", None)
            or headers.get("X-Xsrftoken")
            or headers.get("X-Csrftoken")
        )
        if not token:
            raise HTTPError(403, "'_xsrf' argument missing from %s", self.request.method)
        decoded = _xsrf.decode_token(token)
        if decoded is None:
            raise HTTPError(403, "'_xsrf' argument has an invalid format")
        expected, _, from_cookie = self._get_raw_xsrf_token()
        if not from_cookie:
            raise HTTPError(403, "'_xsrf' cookie missing or malformed")
        if not _xsrf.tokens_match(decoded[0], expected):
            raise HTTPError(403, "XSRF cookie does not match the %s argument", self.request.method)

    def _check_xsrf_origin(self) -> None:
        headers = self.request.headers
        site = headers.get("Sec-Fetch-Site")
        if site is not None:
            if site.lower() not in ("same-origin", "none"):
                raise HTTPError(403, "cross-site request refused (Sec-Fetch-Site: %s)", site[:40])
            return
        origin = headers.get("Origin")
        if origin is not None:
            expected = f"{self.request.protocol}://{self.request.host}".lower()
            if origin.lower() != expected:
                raise HTTPError(403, "cross-origin request refused (Origin: %s)", origin[:100])

    def xsrf_form_html(self) -> str:
        """A hidden ``<input>`` carrying the XSRF token, for forms."""
        return (
            '<input type="hidden" name="_xsrf" value="'
            + escape.xhtml_escape(self.xsrf_token)
            + '"/>'
        )
