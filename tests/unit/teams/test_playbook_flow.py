"""The playbook's transitions, decided from its stage executions alone."""

from __future__ import annotations

from typing import Any

from nexora.storage.models import Run, StageExecution
from nexora.teams.playbooks.definition import PlaybookDef, parse_yaml
from nexora.teams.playbooks.engine import Next, judge, next_after

DEFINITION = parse_yaml(
    """
name: flow
stages:
  - {name: design, agent: a, delivers: [design_doc]}
  - {name: implement, agent: b, retries: 1}
  - {name: review, agent: c, retries: 0, review: {on_reject: implement}}
"""
)


def _execution(index: int, status: str, **extra: Any) -> StageExecution:
    stage = DEFINITION.stages[index]
    return StageExecution(stage=stage.name, stage_index=index, status=status, **extra)


def _after(definition: PlaybookDef, *executions: StageExecution) -> Next:
    return next_after(definition, list(executions), executions[-1])


def test_success_moves_on_and_the_last_stage_ends_the_run() -> None:
    assert _after(DEFINITION, _execution(0, "completed")) == Next("stage", 1)
    assert _after(DEFINITION, _execution(2, "approved")) == Next("done")


def test_a_rejection_goes_back_until_the_target_used_its_retries() -> None:
    reject = {"decision": "reject", "reason": "no tests", "back_to": "implement"}
    first = _after(DEFINITION, _execution(1, "completed"), _execution(2, "rejected", review=reject))
    assert (first.kind, first.index) == ("stage", 1) and "no tests" in (first.note or "")
    second = _after(
        DEFINITION,
        _execution(2, "rejected", review=reject),
        _execution(2, "rejected", review=reject),
    )
    assert (second.kind, second.index) == ("owner", 1)


def test_failures_retry_then_wait_for_the_owner() -> None:
    failed = _execution(1, "failed", note="ended failed: boom")
    retry = _after(DEFINITION, failed)
    assert (retry.kind, retry.index) == ("stage", 1) and "boom" in (retry.note or "")
    assert _after(DEFINITION, failed, _execution(1, "timed_out")).kind == "owner"


def test_judging_a_finished_run() -> None:
    done = Run(status="completed", output="ok")
    design = DEFINITION.stages[0]
    assert judge(design, _execution(0, "running", output_refs=[]), done)[0] == "failed"
    delivered = _execution(0, "running", output_refs=[{"kind": "design_doc"}])
    assert judge(design, delivered, done) == ("completed", None)
    review = DEFINITION.stages[2]
    undecided = judge(review, _execution(2, "running", output_refs=[]), done)
    assert undecided == ("failed", "did not call review_decision")
    decided = _execution(2, "running", output_refs=[], review={"decision": "reject"})
    assert judge(review, decided, done) == ("rejected", None)
    crashed = Run(status="failed", error="model down")
    assert judge(design, delivered, crashed) == ("failed", "ended failed: model down")
    assert judge(design, delivered, None) == ("failed", "lost its run")
