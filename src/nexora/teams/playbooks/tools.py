"""The tools a stage run gets, and only a stage run: deliver and read artifacts, decide a review.

Which stage a call belongs to is looked up by the calling run (`ToolContext.run_id`), so an
agent cannot deliver into another playbook, and calls from a stage already judged (timed out,
taken over, aborted) are refused rather than changing a decided stage.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.security.verdict import Danger
from nexora.storage.db import Database
from nexora.storage.models import PlaybookRun, Run, StageExecution
from nexora.teams.playbooks.artifacts import ArtifactStore, ref_of
from nexora.teams.playbooks.definition import PlaybookDef
from nexora.tools.base import ToolContext, ToolError, ToolSpec

if TYPE_CHECKING:
    from nexora.teams.playbooks.engine import PlaybookEngine

MAX_ARTIFACT_CHARS = 2_000_000
READ_LIMIT_CHARS = 100_000


class DeliverInput(BaseModel):
    kind: str = Field(min_length=1, max_length=64, description="Artifact kind, e.g. design_doc")
    key: str = Field(
        min_length=1, max_length=300, description="Path-like name, e.g. design/spec.md"
    )
    value: str = Field(max_length=MAX_ARTIFACT_CHARS, description="The artifact's whole content")
    summary: str = Field(min_length=1, max_length=1000, description="One line about it")


class ReadInput(BaseModel):
    ref: str = Field(min_length=1, max_length=400, description='"key", "key@version" or an id')


class ReviewInput(BaseModel):
    decision: Literal["approve", "reject"]
    reason: str = Field(min_length=1, max_length=5000)


class StageTools:
    """Builds the playbook tools for the runs that are stages (the `Tooling.run_tools` hook)."""

    def __init__(self, db: Database, engine: PlaybookEngine) -> None:
        self.db = db
        self.engine = engine
        # One model step may call several tools at once; a stage's row changes one at a time
        # (the writes are short: one lock for all of this process's stages is enough).
        self._writing = asyncio.Lock()

    @property
    def vault(self) -> ArtifactStore | None:
        """The engine's vault, read at each call: the platform wires it after both exist."""
        return self.engine.vault

    async def for_run(self, session: AsyncSession, run: Run) -> list[ToolSpec[Any]]:
        found = (
            await session.execute(
                select(StageExecution.stage_index, PlaybookRun.definition)
                .join(PlaybookRun, PlaybookRun.id == StageExecution.playbook_run_id)
                .where(StageExecution.run_id == run.id)
            )
        ).first()
        if found is None:
            return []
        stage = PlaybookDef.model_validate(found.definition["playbook"]).stages[found.stage_index]
        specs: list[ToolSpec[Any]] = []
        if self.vault is not None:
            specs += [self._deliver_spec(), self._read_spec()]
        if stage.review is not None:
            specs.append(self._review_spec(stage.review.on_reject))
        return specs

    async def _stage(
        self, session: AsyncSession, context: ToolContext
    ) -> tuple[StageExecution, PlaybookRun]:
        execution = await session.scalar(
            select(StageExecution).where(StageExecution.run_id == context.run_id)
        )
        if execution is None:
            raise ToolError("this run is not a playbook stage")
        if execution.status != "running":
            raise ToolError(f"this stage is already {execution.status}; nothing more is taken")
        run = await session.get(PlaybookRun, execution.playbook_run_id)
        assert run is not None
        return execution, run

    async def _deliver(self, args: DeliverInput, context: ToolContext) -> str:
        assert self.vault is not None
        async with self._writing, self.db.session() as session:
            execution, run = await self._stage(session, context)
            artifact = await self.vault.deliver(
                session,
                org_id=run.org_id,
                project_id=run.project_id,
                kind=args.kind,
                key=args.key,
                value=args.value,
                summary=args.summary,
                stage=execution.stage,
                playbook_run_id=run.id,
                author_agent_id=context.agent_id,
            )
            ref = ref_of(artifact)
            execution = await session.get(StageExecution, execution.id) or execution
            # A delivery repeated by a resumed run replaces its earlier reference.
            kept = [r for r in execution.output_refs if r["key"] != ref["key"]]
            execution.output_refs = [*kept, ref]
            await session.commit()
        return f"delivered {ref['key']}@{ref['version']} (id {ref['id']})"

    async def _read(self, args: ReadInput, context: ToolContext) -> str:
        assert self.vault is not None
        async with self.db.session() as session:
            _, run = await self._stage(session, context)
            artifact = await self.vault.find(session, run.org_id, run.project_id, args.ref)
            content = await self.vault.read(artifact)
        text = content.decode(errors="replace") if isinstance(content, bytes) else str(content)
        if len(text) > READ_LIMIT_CHARS:
            return text[:READ_LIMIT_CHARS] + f"\n[... {len(text) - READ_LIMIT_CHARS} more chars]"
        return text

    async def _review(self, args: ReviewInput, context: ToolContext, back_to: str) -> str:
        async with self._writing, self.db.session() as session:
            execution, _ = await self._stage(session, context)
            execution.review = {
                "decision": args.decision,
                "reason": args.reason,
                "back_to": back_to if args.decision == "reject" else None,
            }
            await session.commit()
        if args.decision == "reject":
            return f"rejected: the work goes back to stage {back_to!r} with your reason"
        return "approved"

    def _deliver_spec(self) -> ToolSpec[DeliverInput]:
        return ToolSpec(
            name="deliver_artifact",
            description=(
                "Deliver one artifact of this playbook stage to the project vault (a new "
                "version if the key exists). Later stages get its reference and summary."
            ),
            input_model=DeliverInput,
            danger=Danger.LOW,
            run=self._deliver,
        )

    def _read_spec(self) -> ToolSpec[ReadInput]:
        return ToolSpec(
            name="read_artifact",
            description="Read an artifact of this project by its reference (key, key@version, id).",
            input_model=ReadInput,
            danger=Danger.SAFE,
            run=self._read,
        )

    def _review_spec(self, back_to: str) -> ToolSpec[ReviewInput]:
        async def review(args: ReviewInput, context: ToolContext) -> str:
            return await self._review(args, context, back_to)

        return ToolSpec(
            name="review_decision",
            description=(
                "Record this review stage's decision: approve the work, or reject it with the "
                f"reason (it goes back to stage {back_to!r})."
            ),
            input_model=ReviewInput,
            danger=Danger.SAFE,
            run=review,
        )
