from __future__ import annotations

import jwt
import pytest

from nexora.auth.passwords import hash_password, verify_password
from nexora.auth.tokens import AccessClaims, TokenIssuer
from nexora.errors import Unauthorized


def test_round_trip_and_tampering() -> None:
    issuer = TokenIssuer(b"k" * 32, ttl_seconds=900)
    token = issuer.issue(AccessClaims("u", "o", "s"))
    assert issuer.verify(token) == AccessClaims("u", "o", "s")
    forged = jwt.encode(
        {"sub": "u", "org": "o2", "sid": "s", "typ": "access", "exp": 9e9},
        b"other-key-other-key-other-key-xx",
        algorithm="HS256",
    )
    with pytest.raises(Unauthorized):
        issuer.verify(forged)
    with pytest.raises(Unauthorized):
        TokenIssuer(b"z" * 32, 900).verify(token)


def test_argon2id_hashes() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse")
    assert not verify_password(hashed, "wrong horse")
    assert not verify_password(None, "anything")
