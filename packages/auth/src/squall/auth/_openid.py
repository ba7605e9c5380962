"""OpenID 2.0 sign-in with Attribute Exchange: `OpenIdMixin` and `GoogleMixin`.

How this works: `OpenIdMixin.authenticate_redirect` sends the browser to the
provider with a ``checkid_setup`` request (identifier select, so the
provider asks who the user is) and an Attribute Exchange fetch request.
The provider sends the browser back to ``return_to`` with a signed positive
assertion. In stateless ("dumb") mode the relying party then asks the
provider itself whether that assertion is genuine: it posts the fields back
with ``openid.mode=check_authentication`` (OpenID 2.0 section 11.4.2), and
trusts the assertion only on an exact ``is_valid:true`` in a well-formed
key-value answer (section 4.1.1). Before that, the assertion must name this
provider's endpoint and this request's URL as ``return_to`` and sign every
field we use (section 11).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

from squall.httpclient import AsyncHTTPClient

from ._common import AuthMixinBase, fetch_provider, provider_error, start
from ._errors import AuthError

__all__ = ["GoogleMixin", "OpenIdMixin"]

_OPENID_NS = "http://specs.openid.net/auth/2.0"
_IDENTIFIER_SELECT = "http://specs.openid.net/auth/2.0/identifier_select"
_AX_NS = "http://openid.net/srv/ax/1.0"

# Attribute Exchange type URIs (axschema.org) for the names ax_attrs accepts.
_AX_TYPES = {
    "name": "http://axschema.org/namePerson",
    "first_name": "http://axschema.org/namePerson/first",
    "last_name": "http://axschema.org/namePerson/last",
    "email": "http://axschema.org/contact/email",
    "language": "http://axschema.org/pref/language",
    "username": "http://axschema.org/namePerson/friendly",
}
# "name" asks for the full name and its parts, as providers fill either.
_AX_REQUEST = {
    "name": ("name", "first_name", "last_name"),
    "email": ("email",),
    "language": ("language",),
    "username": ("username",),
}
# Fields a positive assertion must sign (OpenID 2.0 section 10.1).
_MUST_SIGN = ("op_endpoint", "return_to", "response_nonce", "assoc_handle")


def parse_key_value_form(body: bytes, what: str) -> dict[str, str]:
    """Parse OpenID key-value form encoding (OpenID 2.0 section 4.1.1), strictly.

    Every line is ``key:value`` and ends with a newline; keys are unique.

    Raises:
        AuthError: anything else.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise AuthError(f"{what}: the answer is not UTF-8") from error
    if not text.endswith("\n"):
        raise AuthError(f"{what}: the answer is not key-value form (no final newline)")
    result: dict[str, str] = {}
    for number, line in enumerate(text[:-1].split("\n"), 1):
        key, colon, value = line.partition(":")
        if not colon or not key or key != key.strip() or "\r" in line:
            raise AuthError(f"{what}: line {number} of the answer is not 'key:value'")
        if key in result:
            raise AuthError(f"{what}: the answer repeats the key {key!r}")
        result[key] = value
    return result


class OpenIdMixin(AuthMixinBase):
    """Sign users in with an OpenID 2.0 provider (with Attribute Exchange).

    Set ``_OPENID_ENDPOINT`` to the provider's endpoint URL. On the handler
    that receives the provider's answer, call `get_authenticated_user`
    when ``openid.mode`` is present, else `authenticate_redirect`.
    """

    _OPENID_ENDPOINT: str = ""

    def _openid_endpoint(self) -> str:
        if not self._OPENID_ENDPOINT:
            raise AuthError(f"{type(self).__name__} has no _OPENID_ENDPOINT: set it to the provider's URL")
        return self._OPENID_ENDPOINT

    def _openid_args(self, callback_uri: str | None, ax_attrs: Sequence[str]) -> dict[str, str]:
        return_to = urllib.parse.urljoin(self.request.full_url(), callback_uri or self.request.uri)
        args = {
            "openid.ns": _OPENID_NS,
            "openid.claimed_id": _IDENTIFIER_SELECT,
            "openid.identity": _IDENTIFIER_SELECT,
            "openid.return_to": return_to,
            "openid.realm": f"{self.request.protocol}://{self.request.host}/",
            "openid.mode": "checkid_setup",
        }
        if ax_attrs:
            names: list[str] = []
            for attr in ax_attrs:
                if attr not in _AX_REQUEST:
                    raise ValueError(
                        f"unknown ax_attrs entry {attr!r}; use some of {sorted(_AX_REQUEST)}"
                    )
                names += [n for n in _AX_REQUEST[attr] if n not in names]
            args["openid.ns.ax"] = _AX_NS
            args["openid.ax.mode"] = "fetch_request"
            for name in names:
                args[f"openid.ax.type.{name}"] = _AX_TYPES[name]
            args["openid.ax.required"] = ",".join(names)
        return args

    def authenticate_redirect(
        self,
        callback_uri: str | None = None,
        ax_attrs: Sequence[str] = ("name", "email", "language", "username"),
    ) -> None:
        """Redirect the browser to the provider to sign in.

        Args:
            callback_uri: where the provider sends the user back (relative
                to this request's URL); default this request's URL.
            ax_attrs: attributes to ask for: any of ``"name"``, ``"email"``,
                ``"language"``, ``"username"``.

        Raises:
            ValueError: an unknown attribute name.
            AuthError: ``_OPENID_ENDPOINT`` is not set.
        """
        endpoint = self._openid_endpoint()
        query = urllib.parse.urlencode(self._openid_args(callback_uri, ax_attrs))
        self.redirect(endpoint + ("&" if "?" in endpoint else "?") + query)

    def get_authenticated_user(
        self,
        http_client: AsyncHTTPClient | Callable[[Any], object] | None = None,
        callback: Callable[[Any], object] | None = None,
    ) -> Any:
        """Verify the provider's answer to `authenticate_redirect` and return the user.

        The assertion is checked locally (endpoint, ``return_to``, signed
        fields), then confirmed by the provider with a
        ``check_authentication`` request whose answer is parsed strictly.

        Args:
            http_client: the client for the provider; default
                `get_auth_http_client`. A callable here is taken as
                ``callback`` (the spec's positional form).
            callback: the spec's callback style: called with the user dict,
                or with ``None`` when sign-in failed (the reason is logged
                at warning level on ``squall.auth``).

        Returns:
            An awaitable of the user: ``claimed_id`` plus whichever of
            ``name``, ``first_name``, ``last_name``, ``email``, ``locale``
            and ``username`` the provider returned (signed).

        Raises:
            AuthError: (when awaited) the user cancelled, the provider
                reported an error, the assertion is malformed or unsigned,
                or the provider did not confirm it.
        """
        if callable(http_client) and not isinstance(http_client, AsyncHTTPClient):
            callback, http_client = http_client, None
        client = http_client if isinstance(http_client, AsyncHTTPClient) else self.get_auth_http_client()
        return start(self, self._openid_verify(client), callback)

    def _openid_arguments(self) -> dict[str, str]:
        args: dict[str, str] = {}
        for name, values in self.request.arguments.items():
            if not name.startswith("openid."):
                continue
            if len(values) != 1:
                raise AuthError(f"OpenID answer repeats the field {name!r}")
            try:
                args[name] = values[0].decode("utf-8")
            except UnicodeDecodeError as error:
                raise AuthError(f"OpenID field {name!r} is not UTF-8") from error
        return args

    def _check_return_to(self, return_to: str) -> None:
        expected = urllib.parse.urlsplit(return_to)
        actual = urllib.parse.urlsplit(self.request.full_url())
        if (expected.scheme, expected.netloc.lower(), expected.path) != (
            actual.scheme,
            actual.netloc.lower(),
            actual.path,
        ):
            raise AuthError("OpenID assertion: openid.return_to is not this URL")
        ours = urllib.parse.parse_qs(actual.query, keep_blank_values=True)
        for key, values in urllib.parse.parse_qs(expected.query, keep_blank_values=True).items():
            if ours.get(key) != values:
                raise AuthError(f"OpenID assertion: return_to parameter {key!r} does not match this URL")

    async def _openid_verify(self, client: AsyncHTTPClient) -> dict[str, Any]:
        what = "OpenID sign-in"
        endpoint = self._openid_endpoint()
        args = self._openid_arguments()
        mode = args.get("openid.mode")
        if mode == "cancel":
            raise AuthError(f"{what}: the user cancelled at the provider")
        if mode == "error":
            raise AuthError(f"{what}: the provider reported an error: {args.get('openid.error', '')[:200]!r}")
        if mode != "id_res":
            raise AuthError(f"{what}: openid.mode is {mode!r}, not 'id_res' (a positive assertion)")
        if args.get("openid.ns") != _OPENID_NS:
            raise AuthError(f"{what}: openid.ns is not OpenID 2.0")
        if args.get("openid.op_endpoint") != endpoint:
            raise AuthError(f"{what}: the assertion comes from another endpoint than {endpoint!r}")
        self._check_return_to(args.get("openid.return_to", ""))
        signed = set(args.get("openid.signed", "").split(","))
        must_sign = [*_MUST_SIGN, *(f for f in ("claimed_id", "identity") if f"openid.{f}" in args)]
        missing = [f for f in must_sign if f not in signed]
        if missing:
            raise AuthError(f"{what}: the assertion does not sign {', '.join(missing)}")
        for field in signed:
            if f"openid.{field}" not in args:
                raise AuthError(f"{what}: the signed field {field!r} is missing")

        check = dict(args)
        check["openid.mode"] = "check_authentication"
        response = await fetch_provider(
            client,
            what,
            endpoint,
            method="POST",
            body=urllib.parse.urlencode(check),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "text/plain",
            },
        )
        if response.code != 200:
            raise AuthError(f"{what}: check_authentication answered {provider_error(response)}")
        answer = parse_key_value_form(response.body, f"{what}: check_authentication")
        if answer.get("ns") != _OPENID_NS:
            raise AuthError(f"{what}: check_authentication answer is not OpenID 2.0 (ns)")
        if answer.get("is_valid") != "true":
            raise AuthError(f"{what}: the provider did not confirm the assertion (is_valid is not 'true')")
        return self._openid_user(args, signed)

    def _openid_user(self, args: dict[str, str], signed: set[str]) -> dict[str, Any]:
        user: dict[str, Any] = {}
        alias = next(
            (k[len("openid.ns."):] for k, v in args.items() if k.startswith("openid.ns.") and v == _AX_NS),
            None,
        )
        values: dict[str, str] = {}
        if alias is not None:
            type_prefix = f"openid.{alias}.type."
            for key, uri in args.items():
                if not key.startswith(type_prefix):
                    continue
                label = key[len(type_prefix):]
                field = f"{alias}.value.{label}"
                # Only signed attribute values are trusted (section 10.1).
                if field in signed and key[len("openid."):] in signed:
                    for name, ax_uri in _AX_TYPES.items():
                        if ax_uri == uri:
                            values[name] = args.get("openid." + field, "")
        for name in ("email", "first_name", "last_name", "username"):
            if values.get(name):
                user[name] = values[name]
        name = values.get("name") or " ".join(
            part for part in (values.get("first_name"), values.get("last_name")) if part
        )
        if name:
            user["name"] = name
        if values.get("language"):
            user["locale"] = values["language"].lower()
        claimed = args.get("openid.claimed_id")
        if claimed:
            user["claimed_id"] = claimed
        return user


class GoogleMixin(OpenIdMixin):
    """The spec's Google sign-in, kept as a plain OpenID 2.0 flow.

    Compatibility: Google retired OpenID 2.0 in 2015, so its endpoint no
    longer answers; use `GoogleOAuth2Mixin` to sign in with Google. This
    class remains so the spec's example runs unchanged against any OpenID
    2.0 provider: set ``_OPENID_ENDPOINT`` on your subclass.
    """

    _OPENID_ENDPOINT = "https://www.google.com/accounts/o8/ud"
