"""What members and the lead are asked. Members see the task and, in serial runs, what the
members before them proposed; the lead sees the task and every proposal. Proposals are cut
to a bounded size and tool transcripts are never passed on: a member reads conclusions."""

from __future__ import annotations

from collections.abc import Sequence

from nexora.teams.run.record import Contribution

PROPOSAL_CHARS = 4_000  # of each earlier proposal, in another member's or the lead's prompt
EVIDENCE_LINES = 5  # per member, in the lead's prompt


def member_task(task: str, earlier: Sequence[Contribution]) -> str:
    parts = [f"<team_task>\n{task}\n</team_task>"]
    done = [c for c in earlier if c.ok]
    if done:
        parts.append("What the members before you proposed:")
        parts += [_proposal(c, evidence=False) for c in done]
        parts.append("Build on their work: add, correct or disagree; do not just repeat it.")
    parts.append("Give your proposal for the task, from your role.")
    return "\n\n".join(parts)


def lead_task(task: str, contributions: Sequence[Contribution]) -> str:
    parts = [f"<team_task>\n{task}\n</team_task>", "Your team's proposals:"]
    parts += [_proposal(c, evidence=True) for c in contributions if c.ok]
    failed = [c for c in contributions if not c.ok]
    if failed:
        names = ", ".join(f"{c.agent} ({c.role})" for c in failed)
        parts.append(f"These members could not contribute: {names}.")
    parts.append(
        "As the team's lead, decide: give the team's final answer to the task, using the "
        "proposals where they are right."
    )
    return "\n\n".join(parts)


def _proposal(contribution: Contribution, *, evidence: bool) -> str:
    text = contribution.proposal or ""
    if len(text) > PROPOSAL_CHARS:
        text = text[:PROPOSAL_CHARS] + " […]"
    lines = [f'<proposal agent="{contribution.agent}" role="{contribution.role}">', text]
    if evidence and contribution.evidence:
        lines.append("Evidence from its tools:")
        lines += [f"- {e.tool}: {e.excerpt}" for e in contribution.evidence[:EVIDENCE_LINES]]
    lines.append("</proposal>")
    return "\n".join(lines)
