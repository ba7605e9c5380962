"""The one exception of squall.auth."""

from __future__ import annotations

__all__ = ["AuthError"]


class AuthError(Exception):
    """Signing in through a third party failed.

    Raised for every failure of a sign-in flow or provider API call: the
    provider answered with an error (or the user declined), the ``state``
    or request-token cookie did not match, a signature or ``id_token`` did
    not verify, the provider could not be reached, or its answer was not
    the JSON / form encoding the protocol requires. The message says which
    step failed and why; it never contains a client secret, token secret
    or access token.
    """
