"""Installing and removing org skills: capability changes (`skill.create`, `skill.delete`)
that go through the org's policy and may wait for an admin.

Before anything is requested the bundle is unpacked into a temporary folder, its manifest
checked and the scanner run: a `block` verdict refuses the install outright, whoever would
approve it; `warn` makes the change high risk, so an admin always decides, with the findings
in front of them (they travel with the approval request).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import Conflict, InvalidInput, NexoraError, NotFound
from nexora.governance.audit import AuditLog, RequestContext
from nexora.governance.capabilities import (
    ApplyContext,
    Capability,
    ChangeAction,
    Risk,
    register_applier,
)
from nexora.governance.capability_changes import Change, ChangeOutcome, submit
from nexora.skills.bundle import BundleLimits, SkillBundle
from nexora.skills.catalog import SkillCatalog
from nexora.skills.loader import findings_json
from nexora.skills.manifest import SkillManifest, parse_skill_md
from nexora.skills.skill import SKILL_FILE
from nexora.storage.models import InstalledSkill


class SkillBlocked(InvalidInput):
    """The scanner found something that no approval can make acceptable."""

    title = "Skill blocked by the scanner"


@dataclass(frozen=True, slots=True)
class PreparedSkill:
    """A bundle whose manifest is valid and which the scanner did not block."""

    bundle: SkillBundle
    manifest: SkillManifest
    scan: dict[str, Any]  # the scanner's report, as JSON

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def verdict(self) -> str:
        return str(self.scan.get("verdict"))

    @property
    def findings(self) -> list[dict[str, Any]]:
        return list(self.scan.get("findings") or [])


class InstallPayload(BaseModel):
    """What a `skill.create` approval stores: everything the applier needs, and what the
    admin reviews (manifest, files, scanner findings)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    digest: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int
    files: list[dict[str, Any]]
    manifest: dict[str, Any]
    scan: dict[str, Any]
    archive: str  # base64 of the zipped files

    @classmethod
    def of(cls, prepared: PreparedSkill) -> InstallPayload:
        bundle = prepared.bundle
        return cls(
            name=prepared.name,
            description=prepared.manifest.description,
            digest=bundle.digest(),
            size=bundle.size,
            files=[{"path": f.path, "size": f.size} for f in bundle.listing()],
            manifest=prepared.manifest.model_dump(mode="json", by_alias=True, exclude_none=True),
            scan=prepared.scan,
            archive=base64.b64encode(bundle.archive()).decode("ascii"),
        )


def manifest_of(bundle: SkillBundle) -> SkillManifest:
    try:
        text = bundle.files[SKILL_FILE].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{SKILL_FILE} is not UTF-8 text") from exc
    try:
        manifest, _body = parse_skill_md(text)
    except NexoraError:
        raise
    except ValueError as exc:
        raise InvalidInput(f"invalid {SKILL_FILE}: {exc}") from exc
    return manifest


def prepare(bundle: SkillBundle, expected_name: str | None = None) -> PreparedSkill:
    """Validates the manifest and scans the files in a temporary folder named after the
    skill (the spec ties the two); blocking findings raise `SkillBlocked`."""
    manifest = manifest_of(bundle)
    for claimed in (expected_name, bundle.folder):
        if claimed is not None and claimed != manifest.name:
            raise InvalidInput(
                f"the skill's name {manifest.name!r} must match its folder or given name "
                f"{claimed!r}"
            )
    with tempfile.TemporaryDirectory(prefix="nexora-skill-") as tmp:
        folder = Path(tmp) / manifest.name
        folder.mkdir()
        bundle.write_to(folder)
        from nexora.skills.scanner import scan_skill  # loads the guards: only when installing

        report = scan_skill(folder)
    scan = dict(report.as_json())
    scan["findings"] = findings_json(report)
    if report.verdict == "block":
        raise SkillBlocked(
            f"the skill scanner blocked {manifest.name!r}: "
            + "; ".join(f"{f['rule']}: {f['message']}" for f in scan["findings"][:3]),
            findings=scan["findings"],
        )
    return PreparedSkill(bundle, manifest, scan)


async def prepare_and_audit(
    bundle: SkillBundle,
    expected_name: str | None,
    actor: Actor,
    request: RequestContext | None,
    audit: AuditLog,
) -> PreparedSkill:
    """`prepare` off the event loop; a blocked install is audited before it is refused."""
    try:
        return await asyncio.to_thread(prepare, bundle, expected_name)
    except SkillBlocked as exc:
        audit.record(
            "skill.create",
            actor=actor,
            resource_type="skill",
            resource_id=bundle.folder or expected_name,
            status="denied",
            request=request,
            detail={"findings": exc.extensions.get("findings", [])[:20]},
        )
        raise


async def request_install(
    db: AsyncSession,
    actor: Actor,
    prepared: PreparedSkill,
    request: RequestContext | None,
    audit: AuditLog,
) -> ChangeOutcome:
    """Installs now or queues the request, as the org's `skill.create` policy (raised to
    high risk by any scanner warning) says."""
    await _check_free(db, actor.org_id, prepared.name)
    payload = InstallPayload.of(prepared).model_dump(mode="json")
    change = Change(
        Capability.SKILL,
        ChangeAction.CREATE,
        prepared.name,
        payload,
        findings=prepared.findings,
        risk_floor=Risk.HIGH if prepared.verdict == "warn" else None,
    )
    return await submit(db, actor, change, request, audit)


async def request_remove(
    db: AsyncSession,
    actor: Actor,
    catalog: SkillCatalog,
    name: str,
    request: RequestContext | None,
    audit: AuditLog,
) -> ChangeOutcome:
    record = await installed(db, actor.org_id, name)
    if record is None:
        if any(s.name == name for s in catalog.builtin().skills):
            raise Conflict(f"{name!r} is a built-in skill and cannot be removed")
        raise NotFound(f"no installed skill named {name!r}")
    payload = {"id": record.id, "name": record.name}
    change = Change(Capability.SKILL, ChangeAction.DELETE, record.name, payload)
    return await submit(db, actor, change, request, audit)


async def installed(db: AsyncSession, org_id: str, name: str) -> InstalledSkill | None:
    return await db.scalar(
        select(InstalledSkill).where(InstalledSkill.org_id == org_id, InstalledSkill.name == name)
    )


async def _check_free(db: AsyncSession, org_id: str, name: str) -> None:
    if await installed(db, org_id, name) is not None:
        raise Conflict(f"a skill named {name!r} is already installed: remove it first")


async def _apply_create(context: ApplyContext) -> dict[str, Any]:
    payload = InstallPayload.model_validate(context.payload)
    await _check_free(context.db, context.org_id, payload.name)
    try:
        archive = base64.b64decode(payload.archive, validate=True)
    except binascii.Error as exc:
        raise InvalidInput("the stored skill archive is damaged") from exc
    limits = BundleLimits(max_bytes=payload.size + 1, max_files=len(payload.files) + 1)
    if SkillBundle.from_zip(archive, limits).digest() != payload.digest:
        raise InvalidInput("the stored skill archive does not match its digest")
    record = InstalledSkill(
        org_id=context.org_id,
        name=payload.name,
        description=payload.description,
        manifest=payload.manifest,
        files=payload.files,
        size=payload.size,
        digest=payload.digest,
        archive=archive,
        scan=payload.scan,
        created_by=context.requested_by,
    )
    context.db.add(record)
    try:
        await context.db.flush()
    except IntegrityError as exc:  # installed by someone else since the check above
        raise Conflict(f"a skill named {payload.name!r} is already installed") from exc
    verdict = payload.scan.get("verdict")
    return {"skill_id": record.id, "name": record.name, "digest": record.digest, "scan": verdict}


async def _apply_delete(context: ApplyContext) -> dict[str, Any]:
    record = await context.db.get(InstalledSkill, str(context.payload["id"]))
    if record is None or record.org_id != context.org_id:
        raise NotFound(f"skill {context.target!r} is no longer installed")
    await context.db.delete(record)
    await context.db.flush()
    return {"skill_id": record.id, "name": record.name, "deleted": True}


register_applier("skill", "create", _apply_create)
register_applier("skill", "delete", _apply_delete)
