"""Encrypts secrets at rest with a key kept in the data dir, never in the database."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class SecretBox:
    def __init__(self, key_material: bytes) -> None:
        derived = hashlib.sha256(b"nexora-secrets:" + key_material).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken as exc:
            raise ValueError("secret cannot be decrypted with the current key") from exc


def mask(secret: str | None) -> str | None:
    """What an API may show of a secret: enough to recognise it, never enough to use it."""
    if not secret:
        return None
    if len(secret) <= 8:
        return "****"
    return f"{secret[:3]}…{secret[-4:]}"
