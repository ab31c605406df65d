"""Playbook hand-offs against passing the full history: tokens per stage, on SQLite.

A 4-stage playbook (design → implement → test → review) runs on the real server (in process,
real HTTP on loopback, a fresh SQLite database) with a scripted OpenAI-compatible model: each
stage's agent reads the artifacts it needs with `read_artifact`, delivers its own (a design
document, a code diff, a test report, a review, of realistic sizes) with `deliver_artifact`,
then ends with a short summary. Each stage execution records `handoff_tokens` (its input: the
bounded hand-off) and `full_history_tokens` (every earlier stage run's stored messages, what a
PM agent passing the whole chat history would carry). The table prints both and their ratio.

    python bench/playbook_handoff.py
    python bench/playbook_handoff.py --scale 2     # artifacts twice as large
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

# The scripted model server and the in-process server are the ones the tests use.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.openai_server import FakeOpenAIServer, Reply, ToolCall
from tests.support.api import login, ok
from tests.support.playbooks import HEADER, wait_for_playbook
from tests.support.server import run_server

from nexora.config import Settings

PLAYBOOK = """
name: feature
description: design, implement, test and review a feature
stages:
  - name: design
    agent: architect
    instructions: Write the design of the feature - modules, interfaces, data, risks.
    delivers: [design_doc]
  - name: implement
    agent: developer
    instructions: Implement the design as a code diff.
    delivers: [code_diff]
  - name: test
    agent: tester
    instructions: Test the implementation against the design; report what passed and failed.
    delivers: [test_report]
  - name: review
    agent: reviewer
    instructions: Review design, diff and test report; approve or send back to implement.
    delivers: [review_report]
    review: {on_reject: implement}
"""

WORDS = [
    "session", "token", "refresh", "login", "password", "hash", "user", "account", "module",
    "interface", "handler", "store", "request", "response", "error", "retry", "limit", "audit",
    "event", "schema", "table", "index", "cache", "expiry", "rotate", "secret", "cookie",
    "header", "validate", "reject", "accept", "flow", "state", "owner", "role", "grant",
    "check", "policy",
]  # fmt: skip

# stage -> (artifacts it reads, kind, key, size in characters, what it writes)
PLAN: dict[str, tuple[list[str], str, str, int, str]] = {
    "design": ([], "design_doc", "design/login.md", 12_000, "prose"),
    "implement": (["design/login.md"], "code_diff", "impl/login.diff", 24_000, "code"),
    "test": (
        ["design/login.md", "impl/login.diff"],
        "test_report",
        "test/report.md",
        8_000,
        "prose",
    ),
    "review": (
        ["design/login.md", "impl/login.diff", "test/report.md"],
        "review_report",
        "review/report.md",
        4_000,
        "prose",
    ),
}


def text_of(kind: str, size: int, seed: int) -> str:
    """Deterministic filler that tokenizes like its kind: sentences, or diff lines of code."""
    rng = random.Random(seed)
    lines: list[str] = []
    total = 0
    while total < size:
        words = rng.choices(WORDS, k=rng.randint(6, 14))
        if kind == "code":
            name = "_".join(words[:3])
            line = f"+    def {name}(self, {words[3]}: str) -> bool:  # {' '.join(words[4:])}"
        else:
            line = " ".join(words).capitalize() + "."
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines)[:size]


def respond_for(scale: float) -> Any:
    def respond(body: dict[str, Any]) -> Reply:
        messages = body["messages"]
        found = HEADER.search(json.dumps(messages))
        assert found is not None
        stage = found.group(1)
        reads, kind, key, size, style = PLAN[stage]
        step = sum(1 for m in messages if m["role"] == "assistant")
        if step == 0 and reads:
            return Reply(tool_calls=tuple(ToolCall("read_artifact", {"ref": r}) for r in reads))
        if step <= (1 if reads else 0):
            calls = [
                ToolCall(
                    "deliver_artifact",
                    {
                        "kind": kind,
                        "key": key,
                        "value": text_of(style, int(size * scale), len(stage)),
                        "summary": f"{kind.replace('_', ' ')} for the login feature",
                    },
                )
            ]
            if stage == "review":
                decision = {"decision": "approve", "reason": "design, code and tests agree"}
                calls.append(ToolCall("review_decision", decision))
            return Reply(tool_calls=tuple(calls), usage=(size // 4, size // 4))
        summary = f"{stage}: delivered {key}. " + text_of(
            "prose", 600, len(stage)
        )  # a short checkpoint, as a real agent would end
        return Reply(text=summary)

    return respond


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="artifact size multiplier")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="nexora-playbook-bench-"))
    with FakeOpenAIServer() as llm:
        llm.answer_when(
            lambda body: HEADER.search(json.dumps(body["messages"])) is not None,
            respond_for(args.scale),
        )
        settings = Settings(
            home=home,
            db_url=f"sqlite+aiosqlite:///{home / 'bench.db'}",
            admin_password="bench-password-1",
            detect_local_models=False,
            default_model="openai:fake-model",
            openai_base_url=llm.base_url,
            openai_api_key="sk-bench",
            memory_auto_extract=False,
        )
        with run_server(settings) as server, httpx.Client(base_url=server.url) as anon:
            admin = server.client(login(anon, "admin", "bench-password-1"))
            for name in ("architect", "developer", "tester", "reviewer"):
                ok(admin.post("/api/agents", json={"name": name}), 201)
            playbook = ok(admin.post("/api/playbooks", json={"yaml": PLAYBOOK}), 201)
            began = time.perf_counter()
            run = ok(
                admin.post(
                    f"/api/playbooks/{playbook['id']}/runs",
                    json={"objective": "Add login with refresh tokens to the web app."},
                ),
                201,
            )
            done = wait_for_playbook(admin, run["id"], {"completed", "waiting_owner", "failed"})
            elapsed = time.perf_counter() - began
            admin.close()
    report(done, elapsed, args.scale, settings.vault_backend)


def report(done: dict[str, Any], elapsed: float, scale: float, vault: str) -> None:
    print(
        f"Playbook hand-off benchmark (SQLite, {vault} vault, artifact scale {scale:g}): "
        f"{done['status']} in {elapsed:.2f} s"
    )
    print(f"{'stage':<12}{'hand-off tokens':>18}{'full history tokens':>22}{'ratio':>9}")
    handed = full = 0
    for stage in done["stages"]:
        h, f = stage["handoff_tokens"], stage["full_history_tokens"]
        handed, full = handed + h, full + f
        print(f"{stage['stage']:<12}{h:>18,}{f:>22,}{f / h:>8.1f}x")
    print(f"{'all':<12}{handed:>18,}{full:>22,}{full / handed:>8.1f}x")
    last = done["stages"][-1]
    print(f"last hand-off: {last['full_history_tokens'] / last['handoff_tokens']:.1f}x smaller")


if __name__ == "__main__":
    main()
