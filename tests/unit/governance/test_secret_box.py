"""SecretBox with several keys, the key files of a rotation, and re-encryption of stored values."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from nexora.errors import Conflict
from nexora.governance import secret_store
from nexora.governance.secret_store import SecretOwner, SecretStore, rotate_key
from nexora.governance.secrets import KEY_FILE, SecretBox, install_new_key, old_key_files
from nexora.storage import migrate
from nexora.storage.db import Database
from nexora.storage.models import ProviderSetting, Secret
from nexora.tenancy.orgs import create_org

VALUE = "ghp_personal-access-token-0123456789"
PROVIDER_KEY = "sk-provider-key-0123456789"


def test_encrypts_with_the_first_key_and_decrypts_with_any() -> None:
    old, new = b"old-key-material", b"new-key-material"
    token = SecretBox(old).encrypt(VALUE)
    assert VALUE.encode() not in token

    both = SecretBox(new, old)
    assert both.decrypt(token) == VALUE
    rotated = both.reencrypt(token)
    assert SecretBox(new).decrypt(rotated) == VALUE
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox(old).decrypt(rotated)
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox(new).decrypt(token)


def test_keys_dir_keeps_the_old_key_private_and_loads_it(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    before = SecretBox.from_keys_dir(keys)
    token = before.encrypt(VALUE)
    original = (keys / KEY_FILE).read_bytes()

    new_key = install_new_key(keys)

    assert (keys / KEY_FILE).read_bytes() == new_key.material != original
    assert old_key_files(keys) == [new_key.kept_old]
    assert new_key.kept_old.read_bytes() == original
    for path in (keys / KEY_FILE, new_key.kept_old):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(keys.glob("*.new"))
    after = SecretBox.from_keys_dir(keys)
    assert after.decrypt(token) == VALUE
    assert SecretBox(new_key.material).decrypt(after.encrypt("x")) == "x"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'nexora.db'}")
    await migrate.upgrade(database)
    yield database
    await database.dispose()


async def _seed(db: Database, keys: Path) -> str:
    store = SecretStore(SecretBox.from_keys_dir(keys))
    async with db.session() as session:
        org_id = (await create_org(session, "acme")).id
        await store.put(session, SecretOwner(org_id, None), "github", VALUE)
        session.add(
            ProviderSetting(
                org_id=org_id,
                name="vllm",
                preset="vllm",
                api_key_encrypted=store.box.encrypt(PROVIDER_KEY),
            )
        )
        session.add(ProviderSetting(org_id=org_id, name="local", preset="ollama"))
        await session.commit()
    return org_id


async def _stored(db: Database) -> tuple[bytes, bytes]:
    async with db.session() as session:
        secret = await session.scalar(select(Secret.ciphertext))
        provider = await session.scalar(
            select(ProviderSetting.api_key_encrypted).where(ProviderSetting.name == "vllm")
        )
    assert secret is not None and provider is not None
    return secret, provider


async def test_rotation_reencrypts_secrets_and_provider_keys(db: Database, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    await _seed(db, keys)
    old = (keys / KEY_FILE).read_bytes()

    rotation = await rotate_key(db, keys)

    assert (rotation.secrets, rotation.provider_keys) == (1, 1)
    assert rotation.kept_old_key.read_bytes() == old
    new = SecretBox((keys / KEY_FILE).read_bytes())
    secret, provider = await _stored(db)
    assert new.decrypt(secret) == VALUE and new.decrypt(provider) == PROVIDER_KEY
    for token in (secret, provider):
        with pytest.raises(ValueError, match="cannot be decrypted"):
            SecretBox(old).decrypt(token)

    # A second rotation reads values of the first one and keeps both earlier keys.
    await rotate_key(db, keys)
    assert len(old_key_files(keys)) == 2
    assert SecretBox((keys / KEY_FILE).read_bytes()).decrypt((await _stored(db))[0]) == VALUE


async def test_an_unreadable_value_stops_the_rotation_before_anything_changes(
    db: Database, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    org_id = await _seed(db, keys)
    async with db.session() as session:
        foreign = SecretBox(b"another node's key").encrypt("x")
        session.add(Secret(org_id=org_id, name="foreign", ciphertext=foreign))
        await session.commit()
    key_before, stored_before = (keys / KEY_FILE).read_bytes(), await _stored(db)

    with pytest.raises(Conflict, match="'foreign'"):
        await rotate_key(db, keys)

    assert (keys / KEY_FILE).read_bytes() == key_before
    assert old_key_files(keys) == []
    assert await _stored(db) == stored_before


async def test_a_failed_transaction_puts_the_old_key_back(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = tmp_path / "keys"
    await _seed(db, keys)
    key_before, stored_before = (keys / KEY_FILE).read_bytes(), await _stored(db)

    def crash(self: SecretBox, token: bytes) -> bytes:
        raise RuntimeError("disk full")

    monkeypatch.setattr(secret_store.SecretBox, "reencrypt", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        await rotate_key(db, keys)

    assert (keys / KEY_FILE).read_bytes() == key_before
    assert await _stored(db) == stored_before
    assert SecretBox.from_keys_dir(keys).decrypt(stored_before[0]) == VALUE
    # The new key stays among the old ones in case the failed commit did land after all.
    (unused,) = old_key_files(keys)
    assert unused.read_bytes() != key_before and stat.S_IMODE(unused.stat().st_mode) == 0o600
    assert not list(keys.glob("*.restore"))
