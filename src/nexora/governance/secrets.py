"""Encrypts secrets at rest with a key kept in the data dir, never in the database.

The keys dir holds the current key (`secret.key`) and, after a rotation, the previous ones
(`secret.key.<timestamp>.old`). A box encrypts with the current key and decrypts with any of
them, so values written before a rotation (or by a process that has not restarted since)
stay readable until they are re-encrypted.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from nexora.auth.keys import load_or_create_key

KEY_FILE = "secret.key"
_OLD_SUFFIX = ".old"


def _fernet(key_material: bytes) -> Fernet:
    derived = hashlib.sha256(b"nexora-secrets:" + key_material).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


class SecretBox:
    """Encrypts with `key_material`; decrypts with it or any of `older` (newest first)."""

    def __init__(self, key_material: bytes, *older: bytes) -> None:
        self._fernet = MultiFernet([_fernet(key_material), *(_fernet(k) for k in older)])

    @classmethod
    def from_keys_dir(cls, keys_dir: Path) -> SecretBox:
        """The current key (created on first use) plus every kept previous key."""
        current = load_or_create_key(keys_dir / KEY_FILE)
        return cls(current, *(path.read_bytes().strip() for path in old_key_files(keys_dir)))

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken as exc:
            raise ValueError("secret cannot be decrypted with the current key") from exc

    def reencrypt(self, token: bytes) -> bytes:
        """The same plaintext, encrypted with the current key."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken as exc:
            raise ValueError("secret cannot be decrypted with the current key") from exc


def old_key_files(keys_dir: Path) -> list[Path]:
    """Previous keys, newest first (their names sort by the rotation's timestamp)."""
    return sorted(keys_dir.glob(f"{KEY_FILE}.*{_OLD_SUFFIX}"), reverse=True)


@dataclass(frozen=True, slots=True)
class NewKey:
    """A rotation's key files: the new key is current, the previous one kept at `kept_old`."""

    material: bytes
    previous: bytes
    kept_old: Path


def install_new_key(keys_dir: Path) -> NewKey:
    """Keeps the current key as `secret.key.<timestamp>.old`, then swaps in a new one.

    Both files are written 0600 and fsynced before the swap, and the swap is an atomic
    rename, so a crash at any point leaves a keys dir from which every stored value still
    decrypts: before the swap nothing changed, after it the old key is among the kept ones.
    """
    current = keys_dir / KEY_FILE
    previous = load_or_create_key(current)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    kept_old = keys_dir / f"{KEY_FILE}.{stamp}{_OLD_SUFFIX}"
    _write_private(kept_old, previous)
    material = secrets.token_urlsafe(32).encode()
    staged = keys_dir / f"{KEY_FILE}.{stamp}.new"
    _write_private(staged, material)
    os.replace(staged, current)
    _fsync_dir(keys_dir)
    return NewKey(material=material, previous=previous, kept_old=kept_old)


def restore_key(keys_dir: Path, new_key: NewKey) -> None:
    """Undoes `install_new_key` after a failed re-encryption: the previous key is current again.

    The new key is kept as an old one rather than dropped: a commit that raised may still
    have committed (a connection lost while the server answered), and values it wrote must
    stay readable. Each step leaves a keys dir from which every value decrypts.
    """
    unused = keys_dir / new_key.kept_old.name.replace(_OLD_SUFFIX, f".unused{_OLD_SUFFIX}")
    _write_private(unused, new_key.material)
    staged = keys_dir / f"{KEY_FILE}.restore"
    _write_private(staged, new_key.previous)
    os.replace(staged, keys_dir / KEY_FILE)
    new_key.kept_old.unlink(missing_ok=True)
    _fsync_dir(keys_dir)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def mask(secret: str | None) -> str | None:
    """What an API may show of a secret: enough to recognise it, never enough to use it."""
    if not secret:
        return None
    if len(secret) <= 8:
        return "****"
    return f"{secret[:3]}…{secret[-4:]}"
