"""Short-lived JWT access tokens bound to a revocable login session."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from nexora.errors import Unauthorized

_ALGORITHM = "HS256"
REFRESH_PREFIX = "nxr_"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: str
    org_id: str
    session_id: str


class TokenIssuer:
    def __init__(self, secret: bytes, ttl_seconds: int) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    def issue(self, claims: AccessClaims, now: datetime | None = None) -> str:
        issued = now or datetime.now(UTC)
        payload = {
            "sub": claims.user_id,
            "org": claims.org_id,
            "sid": claims.session_id,
            "typ": "access",
            "iat": issued,
            "exp": issued + timedelta(seconds=self.ttl_seconds),
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(payload, self._secret, algorithm=_ALGORITHM)

    def verify(self, token: str) -> AccessClaims:
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                options={"require": ["sub", "org", "sid", "exp", "typ"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("access token expired: log in again or refresh it") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("invalid access token") from exc
        if payload["typ"] != "access":
            raise Unauthorized("invalid access token")
        return AccessClaims(payload["sub"], payload["org"], payload["sid"])


def new_refresh_token() -> str:
    return REFRESH_PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """Refresh tokens and API keys are high-entropy, so a plain SHA-256 is a safe lookup key."""
    return hashlib.sha256(token.encode()).hexdigest()
