"""What members and the lead read, and the blackboard entry: bounded, conclusions only."""

from __future__ import annotations

from nexora.teams.run.outcome import outcome_text
from nexora.teams.run.prompts import PROPOSAL_CHARS, lead_task, member_task
from nexora.teams.run.record import Contribution, Evidence


def _done(agent: str, role: str, proposal: str, evidence: list[Evidence] = []) -> Contribution:  # noqa: B006
    return Contribution(
        member_id=f"m-{agent}",
        agent_id=f"a-{agent}",
        agent=agent,
        role=role,
        child_run_id=f"r-{agent}",
        status="done",
        proposal=proposal,
        evidence=evidence,
    )


def test_member_task_carries_earlier_proposals_cut_to_size() -> None:
    long = "x" * (PROPOSAL_CHARS * 3)
    earlier = [
        _done("researcher", "analyst", long, [Evidence.of("web_fetch", "page text")]),
        Contribution(
            member_id="m-f",
            agent_id="a-f",
            agent="flaky",
            role="member",
            child_run_id="r-f",
            status="failed",
            error="boom",
        ),
    ]
    text = member_task("Plan the launch.", earlier)
    assert "Plan the launch." in text and 'agent="researcher" role="analyst"' in text
    assert "x" * PROPOSAL_CHARS in text and "x" * (PROPOSAL_CHARS + 1) not in text
    assert "page text" not in text  # members read conclusions, not tool output
    assert "flaky" not in text
    assert "members before you" not in member_task("Plan the launch.", [])


def test_lead_task_has_every_proposal_with_evidence_and_names_the_failed() -> None:
    failed = Contribution(
        member_id="m-f",
        agent_id="a-f",
        agent="flaky",
        role="qa",
        child_run_id="r-f",
        status="failed",
        error="boom",
    )
    text = lead_task(
        "Plan it.",
        [_done("a", "dev", "Do A.", [Evidence.of("read_file", "spec says A")]), failed],
    )
    assert "Do A." in text and "read_file: spec says A" in text
    assert "could not contribute: flaky (qa)" in text


def test_outcome_names_task_decision_evidence_and_contributors() -> None:
    member = _done("a", "dev", "Do A.", [Evidence.of("read_file", "spec  says\nA " * 100)])
    decision = _done("boss", "lead", "We do A.")
    text = outcome_text("Plan it.", decision, [member])
    assert text.startswith("Team task: Plan it.")
    assert "Decision by boss (lead): We do A." in text
    assert "- a via read_file: spec says A spec says A" in text  # whitespace folded, cut
    assert text.endswith("Contributors: a (dev), boss (lead)")
