"""Named secrets of an org or of one of its members, encrypted with the process's `SecretBox`.

Who may touch which secrets is decided once, when a `SecretOwner` is made: `org_owner` for
admins (the org's secrets, or a member's), `personal_owner` for anyone (their own). The store
then only ever reads and writes inside that owner, so a query cannot drift into another org
or another member's secrets. Values leave this module only through `resolve` (for runs) and
`mask` (for people).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceUnavailable
from nexora.governance.secrets import SecretBox, install_new_key, mask, restore_key
from nexora.storage.db import Database
from nexora.storage.models import Membership, Org, ProviderSetting, Secret

log = logging.getLogger(__name__)

NAME_PATTERN = r"^[A-Za-z0-9_.\-]{1,100}$"
MAX_VALUE_BYTES = 64 * 1024
MAX_DESCRIPTION_LENGTH = 500
UNREADABLE = "(cannot be decrypted: set it again)"

_NAME = re.compile(NAME_PATTERN)


@dataclass(frozen=True, slots=True)
class SecretOwner:
    """Whose secrets: an org's own (`user_id` None) or one member's, always inside one org."""

    org_id: str
    user_id: str | None

    @property
    def scope(self) -> Literal["org", "user"]:
        return "org" if self.user_id is None else "user"


async def org_owner(db: AsyncSession, actor: Actor, user_id: str | None = None) -> SecretOwner:
    """An admin's view: the org's secrets, or those of `user_id`, who must be in the org."""
    if not actor.is_admin:
        raise Forbidden("managing the organization's secrets needs the admin role")
    if user_id is not None:
        member = await db.scalar(
            select(Membership.id).where(
                Membership.org_id == actor.org_id, Membership.user_id == user_id
            )
        )
        if member is None:
            raise NotFound(f"user {user_id!r} not found in this organization")
    return SecretOwner(actor.org_id, user_id)


def personal_owner(actor: Actor) -> SecretOwner:
    """A member's own secrets, e.g. personal credentials for an MCP server."""
    return SecretOwner(actor.org_id, actor.user_id)


@dataclass(frozen=True, slots=True)
class ResolvedSecret:
    """A secret's value as a run uses it, and whether it is the org's or the user's own."""

    value: str = field(repr=False)
    scope: Literal["org", "user"]


@dataclass(frozen=True, slots=True)
class SecretView:
    """A stored secret as people may see it: the value masked."""

    name: str
    scope: Literal["org", "user"]
    user_id: str | None
    description: str
    masked_value: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SecretChange:
    view: SecretView
    created: bool
    secret_id: str


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InvalidInput("name: 1-100 characters of letters, digits, '_', '.' and '-'")
    return name


def check_value(value: str) -> str:
    if not value:
        raise InvalidInput("value: a secret's value cannot be empty")
    if len(value.encode()) > MAX_VALUE_BYTES:
        raise InvalidInput(f"value: a secret's value is at most {MAX_VALUE_BYTES // 1024} KB")
    return value


class SecretStore:
    """Reads and writes secrets for one owner at a time, and resolves them for runs."""

    def __init__(self, box: SecretBox) -> None:
        self.box = box

    async def list(self, db: AsyncSession, owner: SecretOwner) -> list[SecretView]:
        """The owner's secrets; an org owner sees the org's and every member's."""
        query = select(Secret).where(Secret.org_id == owner.org_id)
        if owner.user_id is not None:
            query = query.where(Secret.user_id == owner.user_id)
        # Org-wide first: NULLs sort differently on SQLite and PostgreSQL.
        order = (Secret.name, Secret.user_id.is_not(None), Secret.user_id)
        rows = await db.scalars(query.order_by(*order))
        return [self._view(row) for row in rows]

    async def put(
        self,
        db: AsyncSession,
        owner: SecretOwner,
        name: str,
        value: str,
        description: str | None = None,
    ) -> SecretChange:
        """Creates or replaces a secret; `description` None keeps the stored one."""
        check_name(name)
        check_value(value)
        if description is not None and len(description) > MAX_DESCRIPTION_LENGTH:
            raise InvalidInput(f"description: at most {MAX_DESCRIPTION_LENGTH} characters")
        await _lock_org(db, owner.org_id)
        row = await self._find(db, owner, name)
        created = row is None
        if row is None:
            row = Secret(org_id=owner.org_id, user_id=owner.user_id, name=name)
            db.add(row)
        row.ciphertext = self.box.encrypt(value)
        if description is not None or created:
            row.description = description or ""
        await db.commit()
        return SecretChange(self._view(row, value), created, row.id)

    async def delete(self, db: AsyncSession, owner: SecretOwner, name: str) -> str:
        """Deletes the owner's secret `name`; returns its id (for the audit record)."""
        row = await self._find(db, owner, name)
        if row is None:
            raise NotFound(f"secret {name!r} not found")
        await db.delete(row)
        await db.commit()
        return row.id

    async def resolve(
        self, db: AsyncSession, org_id: str, name: str, user_id: str | None = None
    ) -> str | None:
        """The value a run acting for `user_id` in `org_id` should use for `name`.

        The user's own secret wins over the org's; None when neither exists. A stored value
        this node cannot decrypt is an error, not None: the caller must not run as if the
        secret had never been set.
        """
        return (await self.resolve_many(db, org_id, [name], user_id)).get(name)

    async def resolve_many(
        self, db: AsyncSession, org_id: str, names: Iterable[str], user_id: str | None = None
    ) -> dict[str, str]:
        """`resolve` for several names in one query; names not set are absent from the result.

        For callers that need a set of secrets at once, e.g. an MCP server's environment."""
        found = await self.resolve_scoped(db, org_id, names, user_id)
        return {name: secret.value for name, secret in found.items()}

    async def fingerprint(self, db: AsyncSession, org_id: str, names: Iterable[str]) -> str:
        """Changes whenever one of the org's secrets `names` is set, replaced or deleted (every
        write encrypts afresh), without decrypting anything: for callers that cache what they
        built from the values."""
        wanted = sorted(set(names))
        if not wanted:
            return ""
        rows = await db.execute(
            select(Secret.name, Secret.ciphertext).where(
                Secret.org_id == org_id, Secret.name.in_(wanted), Secret.user_id.is_(None)
            )
        )
        digest = hashlib.sha256()
        for name, ciphertext in sorted((name, ciphertext) for name, ciphertext in rows):
            digest.update(name.encode() + b"\0" + ciphertext)
        return digest.hexdigest()

    async def resolve_scoped(
        self, db: AsyncSession, org_id: str, names: Iterable[str], user_id: str | None = None
    ) -> dict[str, ResolvedSecret]:
        """`resolve_many`, also saying whose secret each value is: a caller that keeps something
        alive across runs (an MCP server process) must not share what holds a user's secret."""
        wanted = set(names)
        if not wanted:
            return {}
        scope: ColumnElement[bool] = Secret.user_id.is_(None)
        if user_id is not None:
            scope = or_(scope, Secret.user_id == user_id)
        rows = await db.scalars(
            select(Secret).where(Secret.org_id == org_id, Secret.name.in_(wanted), scope)
        )
        chosen: dict[str, Secret] = {}
        for row in rows:
            if row.name not in chosen or row.user_id is not None:
                chosen[row.name] = row
        return {
            name: ResolvedSecret(self._reveal(row), "org" if row.user_id is None else "user")
            for name, row in chosen.items()
        }

    @staticmethod
    async def _find(db: AsyncSession, owner: SecretOwner, name: str) -> Secret | None:
        user = (
            Secret.user_id.is_(None) if owner.user_id is None else Secret.user_id == owner.user_id
        )
        return await db.scalar(
            select(Secret).where(Secret.org_id == owner.org_id, Secret.name == name, user)
        )

    def _reveal(self, row: Secret) -> str:
        try:
            return self.box.decrypt(row.ciphertext)
        except ValueError as exc:
            raise ServiceUnavailable(
                f"secret {row.name!r} cannot be decrypted with this node's keys; set it again"
            ) from exc

    def _view(self, row: Secret, plaintext: str | None = None) -> SecretView:
        if plaintext is None:
            try:
                plaintext = self.box.decrypt(row.ciphertext)
            except ValueError:
                log.warning("secret %s of org %s cannot be decrypted", row.name, row.org_id)
        return SecretView(
            name=row.name,
            scope="org" if row.user_id is None else "user",
            user_id=row.user_id,
            description=row.description,
            masked_value=mask(plaintext) if plaintext is not None else UNREADABLE,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


async def _lock_org(db: AsyncSession, org_id: str) -> None:
    """Serialises secret writes within an org on PostgreSQL (SQLite serialises all writes).

    The unique key (org_id, user_id, name) does not stop two org-wide secrets of the same
    name, since NULL user_ids never collide; without this two concurrent first PUTs could
    both insert. FOR NO KEY UPDATE leaves inserts elsewhere that reference the org unblocked.
    """
    await db.execute(select(Org.id).where(Org.id == org_id).with_for_update(key_share=True))


@dataclass(frozen=True, slots=True)
class Rotation:
    secrets: int
    provider_keys: int
    kept_old_key: Path


async def rotate_key(db: Database, keys_dir: Path) -> Rotation:
    """Re-encrypts every secret and provider API key with a new key, in one transaction.

    Order matters for recovery: first check every value decrypts (else nothing changes),
    then install the new key while keeping the old one (so whatever happens next, every
    value decrypts with the keys on disk), then re-encrypt and commit. If the transaction
    fails, the old key is put back, since nothing was written with the new one.
    """
    box = SecretBox.from_keys_dir(keys_dir)
    async with db.session() as session:
        secret_rows = list(await session.scalars(select(Secret).with_for_update()))
        provider_rows = list(
            await session.scalars(
                select(ProviderSetting)
                .where(ProviderSetting.api_key_encrypted.is_not(None))
                .with_for_update()
            )
        )
        _check_all_decrypt(box, secret_rows, provider_rows)
        new_key = install_new_key(keys_dir)
        try:
            rotated = SecretBox.from_keys_dir(keys_dir)
            for secret in secret_rows:
                secret.ciphertext = rotated.reencrypt(secret.ciphertext)
            for provider in provider_rows:
                if provider.api_key_encrypted is not None:
                    provider.api_key_encrypted = rotated.reencrypt(provider.api_key_encrypted)
            await session.commit()
        except BaseException:
            await session.rollback()
            restore_key(keys_dir, new_key)
            raise
    return Rotation(len(secret_rows), len(provider_rows), new_key.kept_old)


def _check_all_decrypt(
    box: SecretBox, secret_rows: list[Secret], provider_rows: list[ProviderSetting]
) -> None:
    unreadable = []
    for secret in secret_rows:
        try:
            box.decrypt(secret.ciphertext)
        except ValueError:
            unreadable.append(f"secret {secret.name!r} (org {secret.org_id})")
    for provider in provider_rows:
        try:
            box.decrypt(provider.api_key_encrypted or b"")
        except ValueError:
            unreadable.append(f"provider {provider.name!r} (org {provider.org_id})")
    if unreadable:
        raise Conflict(
            "nothing was rotated: these values cannot be decrypted with the keys in the data "
            "dir; set them again or delete them first: " + ", ".join(unreadable)
        )
