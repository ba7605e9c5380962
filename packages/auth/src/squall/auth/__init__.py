"""squall.auth: third-party sign-in: openid, oauth 1.0a, oauth 2.0 and openid connect."""
