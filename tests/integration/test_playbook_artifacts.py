"""Playbooks that deliver artifacts to the vault: a team of four roles, a missing artifact,
an owner delivering by hand, and hand-offs that carry references instead of contents."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from nexora.config import Settings
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import assert_problem, ok
from tests.support.playbooks import StageReply, make_team, play_stages, wait_for_playbook

FOUR_STAGES = """
name: feature
team: builders
stages:
  - name: design
    role: architect
    instructions: Design the login module.
    delivers: [design_doc]
  - name: implement
    role: developer
    instructions: Implement the design.
    delivers: [code_diff]
  - name: test
    role: tester
    instructions: Test the implementation.
    delivers: [test_report]
  - name: review
    role: reviewer
    instructions: Review everything.
    delivers: [review_report]
    review: {on_reject: implement}
"""

KINDS = {
    "design": ("design_doc", "design/login.md"),
    "implement": ("code_diff", "impl/login.diff"),
    "test": ("test_report", "test/report.md"),
    "review": ("review_report", "review/report.md"),
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"playbook_reconcile_seconds": 0.2})


def _content(stage: str) -> str:
    return f"CONTENT-OF-{stage.upper()} " + "lorem ipsum dolor sit amet " * 200


def _deliver(stage: str) -> tuple[str, dict[str, Any]]:
    kind, key = KINDS[stage]
    return "deliver_artifact", {
        "kind": kind,
        "key": key,
        "value": _content(stage),
        "summary": f"the {kind}",
    }


def _team(admin: httpx.Client, settings: Settings) -> str:
    me = ok(admin.get("/api/auth/me"))
    members = []
    for name, role in (
        ("ana", "architect"),
        ("dev", "developer"),
        ("tess", "tester"),
        ("rev", "reviewer"),
    ):
        agent = ok(admin.post("/api/agents", json={"name": name}), 201)
        members.append((agent["id"], role))
    return make_team(settings.database_url, me["org_id"], "builders", members)


def test_four_stages_deliver_their_artifacts_and_hand_over_references(
    admin: httpx.Client, llm: FakeOpenAIServer, settings: Settings
) -> None:
    group_id = _team(admin, settings)

    def script(stage: str, attempt: int) -> StageReply:
        calls = [_deliver(stage)]
        if stage == "test":
            calls.insert(0, ("read_artifact", {"ref": "impl/login.diff"}))
        if stage == "review":
            calls.append(("review_decision", {"decision": "approve", "reason": "consistent"}))
        return StageReply(calls, f"{stage} done")

    play_stages(llm, script)
    playbook = ok(admin.post("/api/playbooks", json={"yaml": FOUR_STAGES}), 201)
    run = ok(
        admin.post(
            f"/api/playbooks/{playbook['id']}/runs",
            json={"objective": "login", "inputs": {"ticket": "NX-1"}, "group_id": group_id},
        ),
        201,
    )
    done = wait_for_playbook(admin, run["id"], {"completed", "waiting_owner", "failed"})
    assert done["status"] == "completed", done
    assert [s["status"] for s in done["stages"]] == ["completed"] * 3 + ["approved"]
    for stage in done["stages"]:
        kind, key = KINDS[stage["stage"]]
        [ref] = stage["output_refs"]
        assert (ref["kind"], ref["key"], ref["version"]) == (kind, key, 1)
    # The test stage read the diff it was pointed at; nobody was handed a content.
    test_run = ok(admin.get(f"/api/runs/{done['stages'][2]['run_id']}"))
    assert "impl/login.diff@1" in test_run["input"] and "NX-1" in test_run["input"]
    for stage in done["stages"]:
        handed = ok(admin.get(f"/api/runs/{stage['run_id']}"))["input"]
        assert "CONTENT-OF-" not in handed
    review = done["stages"][3]
    assert review["full_history_tokens"] > 5 * review["handoff_tokens"]
    assert "review: review done" in done["result_summary"]
    manifest_keys = _manifest_keys(admin, settings, run["id"])
    assert sorted(manifest_keys) == sorted(key for _, key in KINDS.values())


def _manifest_keys(admin: httpx.Client, settings: Settings, playbook_run_id: str) -> list[str]:
    """The keys the delivery manifest lists; each delivery, and the manifest, is one commit of
    the project's git vault."""
    manifest = ok(admin.get(f"/api/vault/manifests/{playbook_run_id}"))
    history = ok(admin.get("/api/vault/history"))
    commits = {c["sha"]: c["message"] for c in history}
    assert all(entry["commit"] in commits for entry in manifest["artifacts"])
    assert len(history) == len(manifest["artifacts"]) + 1
    assert history[0]["message"] == f"manifest of playbook run {playbook_run_id}"
    return [entry["key"] for entry in manifest["artifacts"]]


def test_a_stage_missing_its_artifact_runs_again_with_a_note(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    ok(admin.post("/api/agents", json={"name": "dev"}), 201)

    def script(stage: str, attempt: int) -> StageReply:
        return StageReply([] if attempt == 1 else [_deliver("implement")], "done")

    play_stages(llm, script)
    text = "name: one\nstages:\n  - {name: implement, agent: dev, delivers: [code_diff]}\n"
    playbook = ok(admin.post("/api/playbooks", json={"yaml": text}), 201)
    run = ok(admin.post(f"/api/playbooks/{playbook['id']}/runs", json={"objective": "x"}), 201)
    done = wait_for_playbook(admin, run["id"], {"completed", "waiting_owner", "failed"})
    assert done["status"] == "completed", done
    first, second = done["stages"]
    assert first["status"] == "failed" and "code_diff" in first["note"]
    assert "code_diff" in ok(admin.get(f"/api/runs/{second['run_id']}"))["input"]
    assert second["output_refs"][0]["key"] == "impl/login.diff"


def test_the_owner_delivers_artifacts_by_hand(admin: httpx.Client, llm: FakeOpenAIServer) -> None:
    ok(admin.post("/api/agents", json={"name": "dev"}), 201)
    play_stages(llm, lambda stage, attempt: StageReply(answer="nothing delivered"))
    text = (
        "name: one\nstages:\n  - {name: implement, agent: dev, retries: 0, delivers: [code_diff]}\n"
    )
    playbook = ok(admin.post("/api/playbooks", json={"yaml": text}), 201)
    run = ok(admin.post(f"/api/playbooks/{playbook['id']}/runs", json={"objective": "x"}), 201)
    waiting = wait_for_playbook(admin, run["id"], {"waiting_owner", "completed", "failed"})
    assert waiting["status"] == "waiting_owner"
    assert_problem(
        admin.post(
            f"/api/playbook-runs/{run['id']}/takeover",
            json={"summary": "x", "decision": "approve"},
        ),
        422,
        "not a review stage",
    )
    body = {
        "summary": "Wrote it myself.",
        "artifacts": [
            {"kind": "code_diff", "key": "impl/login.diff", "value": "+ x", "summary": "by hand"}
        ],
    }
    done = ok(admin.post(f"/api/playbook-runs/{run['id']}/takeover", json=body))
    assert done["status"] == "completed"
    by_hand = done["stages"][-1]
    assert by_hand["status"] == "taken_over"
    assert by_hand["output_refs"][0]["key"] == "impl/login.diff"
