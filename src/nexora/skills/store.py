"""Puts the org skills the database holds on this machine's disk, and takes removed ones off.

The database is the truth (one row per installed skill, with its files zipped); the folders
under `$NEXORA_HOME/skills/<org_id>/` are this machine's copy, each marked with the digest it
was made from, so another API or worker process on another machine catches up on its next
listing. Folders without that mark were put there by hand: they are left alone (and scanned
when loaded, see the catalog).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.skills.bundle import BundleLimits, SkillBundle
from nexora.skills.catalog import SkillCatalog
from nexora.skills.loader import read_install_record
from nexora.skills.skill import INSTALL_RECORD
from nexora.storage.models import InstalledSkill

log = logging.getLogger(__name__)


async def sync_org(db: AsyncSession, catalog: SkillCatalog, org_id: str) -> None:
    """One small query; files move only when something changed."""
    rows = await db.execute(
        select(InstalledSkill.name, InstalledSkill.digest).where(InstalledSkill.org_id == org_id)
    )
    wanted = {name: digest for name, digest in rows}
    root = catalog.org_dir(org_id)
    on_disk = await asyncio.to_thread(_installed_on_disk, root)
    stale = [name for name, digest in wanted.items() if on_disk.get(name) != digest]
    gone = [name for name in on_disk if name not in wanted]
    if not stale and not gone:
        return
    if stale:
        records = await db.scalars(
            select(InstalledSkill).where(
                InstalledSkill.org_id == org_id, InstalledSkill.name.in_(stale)
            )
        )
        for record in records:
            await asyncio.to_thread(materialise, root, record)
    for name in gone:
        await asyncio.to_thread(_remove, root / name)


def _installed_on_disk(root: Path) -> dict[str, str | None]:
    """Folders this store made (they carry an install record) and the digest of each."""
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return {}
    found: dict[str, str | None] = {}
    for entry in entries:
        if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
            continue
        record = read_install_record(Path(entry.path))
        if record is not None:
            found[entry.name] = record.get("digest")
    return found


def materialise(root: Path, record: InstalledSkill) -> Path:
    """Unpacks the skill beside its final place, then swaps it in, so a reader sees the old
    folder or the new one, never half of one."""
    root.mkdir(parents=True, exist_ok=True)
    # The archive was made by us from a checked bundle; it is checked again all the same.
    limits = BundleLimits(max_bytes=record.size + 1, max_files=len(record.files) + 1)
    bundle = SkillBundle.from_zip(record.archive, limits)
    staging = root / f".staging-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        bundle.write_to(staging)
        install = {
            "digest": record.digest,
            "scan": record.scan,
            "installed_at": str(record.created_at),
        }
        (staging / INSTALL_RECORD).write_text(json.dumps(install), encoding="utf-8")
        target = root / record.name
        retired = root / f".retired-{uuid.uuid4().hex}"
        if target.exists():
            os.replace(target, retired)
        try:
            os.replace(staging, target)
        except OSError:
            # Another process put the same skill there in the meantime: theirs is as good.
            log.debug("skill %s was materialised concurrently", target)
        shutil.rmtree(retired, ignore_errors=True)
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _remove(folder: Path) -> None:
    retired = folder.with_name(f".retired-{uuid.uuid4().hex}")
    try:
        os.replace(folder, retired)
    except FileNotFoundError:
        return
    shutil.rmtree(retired, ignore_errors=True)
