"""What auditing and token recording add to a chat turn: latency with them ON and OFF.

Two `python -m nexora serve` processes on fresh data dirs talk to the same instant fake model
(`bench/_fake_llm.py`): one as shipped, one with NEXORA_AUDIT_ENABLED=false and
NEXORA_USAGE_RECORDING=false. Sequential chat turns go through `POST /api/chat` (SSE); a turn's
latency runs from sending the request to reading `event: run.completed`. The modes alternate
in short blocks, ABBA-ordered (ON OFF OFF ON …), so drift and bursts of load on the machine
weigh on both alike; each mode's conversations last `--conversation` turns, so both see the
same history lengths. Besides the pooled percentiles, the median of the per-round differences
of block medians is printed: the figure least moved by a noisy machine.

    python bench/governance.py                  # 200 turns per mode, blocks of 5
    python bench/governance.py --turns 400 --block 10 --conversation 20
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from _nexora import ADMIN_PASSWORD, START_TIMEOUT, login
from _proc import Reaper, clean_env, free_port, reaper, wait_for_200

BENCH_DIR = Path(__file__).resolve().parent
GOAL_MS = 1.0  # what governance may add to the median turn


@dataclass
class Mode:
    """One server: governance ON or OFF, and the turn latencies measured against it."""

    name: str
    governed: bool
    base: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    agent_id: str = ""
    samples: list[float] = field(default_factory=list)
    block_medians: list[float] = field(default_factory=list)
    session_id: str | None = None
    session_turns: int = 0


def start_fake_llm(owner: Reaper, work: Path) -> str:
    port = free_port()
    cmd = [sys.executable, str(BENCH_DIR / "_fake_llm.py"), "--port", str(port)]
    proc = owner.spawn("fake-llm", cmd, env=clean_env(), log=work / "fake_llm.log")
    wait_for_200(proc, port, "/v1/models", 30)
    return f"http://127.0.0.1:{port}/v1"


def start_nexora(owner: Reaper, work: Path, mode: Mode, model_url: str) -> None:
    """A fresh data dir, the server, an API key for the admin and the agent `bench`."""
    home = work / mode.name.lower()
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    port = free_port()
    env = clean_env(
        NEXORA_HOME=str(home),
        NEXORA_ADMIN_PASSWORD=ADMIN_PASSWORD,
        NEXORA_DEFAULT_MODEL="openai:fake-model",
        NEXORA_DETECT_LOCAL_MODELS="false",
        NEXORA_LOG_LEVEL="warning",
        NEXORA_AUDIT_ENABLED=str(mode.governed).lower(),
        NEXORA_USAGE_RECORDING=str(mode.governed).lower(),
        OPENAI_BASE_URL=model_url,
        OPENAI_API_KEY="x",
    )
    cmd = [sys.executable, "-m", "nexora", "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = owner.spawn(f"nexora-{mode.name}", cmd, env=env, log=home / "server.log")
    wait_for_200(proc, port, "/readyz", START_TIMEOUT)
    mode.base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=mode.base, timeout=30.0) as client:
        token = {"Authorization": f"Bearer {login(client)}"}
        # An API key outlives the access token's 15 minutes.
        key = client.post("/api/api-keys", json={"name": "bench"}, headers=token)
        key.raise_for_status()
        mode.headers = {"Authorization": f"Bearer {key.json()['key']}"}
        agent = client.post("/api/agents", json={"name": "bench"}, headers=mode.headers)
        agent.raise_for_status()
        mode.agent_id = agent.json()["id"]


def chat_turn(client: httpx.Client, mode: Mode, session_id: str | None, text: str) -> str:
    """One turn; records its latency and returns the session id."""
    body = {"message": text}
    body |= {"session_id": session_id} if session_id else {"agent_id": mode.agent_id}
    started = time.perf_counter()
    with client.stream("POST", "/api/chat", json=body, headers=mode.headers) as response:
        if response.status_code != 200:
            raise RuntimeError(f"{mode.name}: POST /api/chat {response.status_code}")
        event = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[len("event: ") :]
                if event == "run.completed":
                    break
            elif line.startswith("data: ") and event == "chat.session":
                session_id = json.loads(line[len("data: ") :])["session_id"]
            elif line.startswith("data: ") and event in ("run.failed", "run.cancelled"):
                raise RuntimeError(f"{mode.name}: turn ended with {event}: {line}")
        else:
            raise RuntimeError(f"{mode.name}: stream ended before run.completed")
    mode.samples.append(time.perf_counter() - started)
    assert session_id is not None
    return session_id


def block(mode: Mode, client: httpx.Client, turns: int, conversation: int, tag: str) -> None:
    """`turns` measured turns, starting a new conversation every `conversation` turns."""
    start = len(mode.samples)
    for i in range(turns):
        if mode.session_turns >= conversation:
            mode.session_id, mode.session_turns = None, 0
        mode.session_id = chat_turn(client, mode, mode.session_id, f"benchturn-{tag}-{i} hello")
        mode.session_turns += 1
    mode.block_medians.append(statistics.median(mode.samples[start:]))


def recorded(mode: Mode) -> str:
    """What the server kept: model calls in `token_usage` (and audit events, where listed)."""
    with httpx.Client(base_url=mode.base, timeout=30.0, headers=mode.headers) as client:
        usage = client.get("/api/admin/token-usage", params={"group_by": "model"})
        calls = usage.json()["total"]["requests"] if usage.status_code == 200 else "?"
        audit = client.get("/api/admin/audit", params={"limit": 1000})
        events = "?"
        if audit.status_code == 200 and isinstance(audit.json(), dict):
            body = audit.json()
            events = f"{len(body.get('items', []))}{'+' if body.get('next_cursor') else ''}"
    return f"{calls} usage rows, {events} audit events"


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(on: Mode, off: Mode) -> None:
    def row(mode: Mode) -> tuple[float, float, float]:
        ms = [s * 1000 for s in mode.samples]
        return statistics.median(ms), percentile(ms, 0.99), statistics.fmean(ms)

    print(f"\n{'mode':<34} {'turns':>6} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for mode in (on, off):
        label = f"{mode.name} ({'audit + usage' if mode.governed else 'both disabled'})"
        p50, p99, mean = row(mode)
        print(f"{label:<34} {len(mode.samples):>6} {p50:>8.2f} {p99:>8.2f} {mean:>8.2f}")
    (p50_on, p99_on, mean_on), (p50_off, p99_off, mean_off) = row(on), row(off)
    diff = p50_on - p50_off
    print(
        f"{'difference (ON - OFF)':<34} {'':>6} {diff:>+8.2f} {p99_on - p99_off:>+8.2f} "
        f"{mean_on - mean_off:>+8.2f}"
    )
    rounds = [a - b for a, b in zip(on.block_medians, off.block_medians, strict=True)]
    paired = statistics.median(rounds) * 1000
    print(f"{'paired: median of block differences':<34} {len(rounds):>6} {paired:>+8.2f}")
    verdict = "met" if paired < GOAL_MS else "NOT MET"
    print(f"\ngoal: governance adds < {GOAL_MS:g} ms at p50 -> {verdict}")
    print(f"ON kept:  {recorded(on)}\nOFF kept: {recorded(off)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200, help="measured turns per mode")
    parser.add_argument("--block", type=int, default=5, help="turns per block")
    parser.add_argument("--conversation", type=int, default=10, help="turns per chat session")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured turns per mode")
    parser.add_argument("--work", type=Path, default=BENCH_DIR / ".work" / "governance")
    args = parser.parse_args()
    if args.turns < args.block or min(args.block, args.conversation, args.warmup) < 1:
        parser.error("--turns must be at least --block; --block, --conversation, --warmup >= 1")

    on, off = Mode("ON", governed=True), Mode("OFF", governed=False)
    with reaper() as owner:
        model_url = start_fake_llm(owner, args.work)
        for mode in (on, off):
            start_nexora(owner, args.work, mode, model_url)
        with (
            httpx.Client(base_url=on.base, timeout=30.0) as on_client,
            httpx.Client(base_url=off.base, timeout=30.0) as off_client,
        ):
            clients = {on.name: on_client, off.name: off_client}
            for mode in (on, off):
                block(mode, clients[mode.name], args.warmup, args.conversation, "warm")
                mode.samples.clear()
                mode.block_medians.clear()
            blocks = args.turns // args.block
            print(
                f"{blocks * args.block} turns per mode in {blocks} blocks of {args.block}, "
                f"ABBA order, {args.conversation} turns per conversation; "
                f"{args.warmup} warm-up turns each",
                file=sys.stderr,
            )
            for index in range(blocks):
                # ABBA: ON OFF OFF ON ON OFF … so a linear drift weighs on both modes alike.
                order = (on, off) if index % 2 == 0 else (off, on)
                for mode in order:
                    block(mode, clients[mode.name], args.block, args.conversation, str(index))
                if (index + 1) % 10 == 0 or index + 1 == blocks:
                    print(f"  block {index + 1}/{blocks}", file=sys.stderr)
        time.sleep(1.0)  # let the background writers land their last batch
        report(on, off)


if __name__ == "__main__":
    main()
