"""Chat channels under load: how fast a platform's request is acknowledged, how long until the
answer is delivered, and whether redelivered messages are answered once.

The real server runs in process (real HTTP on loopback, a fresh SQLite database) with an
instant scripted model. Two channels are measured: the generic signed webhook (the platform
calls us; its callback is a local HTTP receiver) and Telegram in long-polling mode (we call the
platform; a fake Bot API on loopback serves updates and takes sendMessage). Every message is
delivered three times at once, as platforms do when an acknowledgement is late, and every
answer counted.

    python bench/channels.py
    python bench/channels.py --messages 200 --concurrency 20

The peers are not measured here: QwenPaw's and OpenClaw's channels each need their own
platform accounts or gateway plugins and offer no generic signed webhook to drive the same
way; see bench/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

# The scripted model server, fake platforms and in-process server are the tests' own.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.fakes.telegram_platform import FakeTelegram
from tests.fakes.web_site import LoopbackSite, Seen
from tests.fakes.web_site import Reply as SiteReply
from tests.support.api import login, ok
from tests.support.server import run_server

from nexora.config import Settings

SECRET = "bench-webhook-secret-0123456789"
TOKEN = "123456:bench-telegram-token"
PASSWORD = "bench-admin-password-1"
COPIES = 3  # each message is delivered this many times at once


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _row(name: str, samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return (
        f"  {name:<44} p50 {statistics.median(ms):7.1f} ms   p95 {_percentile(ms, 0.95):7.1f} ms"
        f"   max {max(ms):7.1f} ms"
    )


def _signed(url: str, payload: dict[str, Any]) -> tuple[int, float]:
    body = json.dumps(payload).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    started = time.perf_counter()
    response = httpx.post(
        url,
        content=body,
        headers={"X-Nexora-Signature": f"sha256={digest}", "Content-Type": "application/json"},
        timeout=30,
    )
    return response.status_code, time.perf_counter() - started


def bench_webhook(admin: httpx.Client, agent_id: str, messages: int, workers: int) -> None:
    arrived: dict[str, float] = {}
    lock = threading.Lock()

    def receive(seen: Seen) -> SiteReply:
        with lock:
            key = seen.json()["reply_to"]
            arrived.setdefault(key, time.perf_counter())
            arrived[f"count:{key}"] = arrived.get(f"count:{key}", 0) + 1
        return SiteReply.json({"ok": True})

    with LoopbackSite() as site:
        site.route("/hook", receive)
        config = {"secret": SECRET, "callback_url": site.url("/hook")}
        body = {"type": "webhook", "name": "bench-hook", "agent_id": agent_id, "config": config}
        channel = ok(admin.post("/api/channels", json=body), 201)
        me = ok(admin.get("/api/auth/me"))["user_id"]
        sent: dict[str, float] = {}
        acks: list[float] = []

        def deliver(index: int) -> None:
            payload = {"message_id": f"m-{index}", "user_id": f"u-{index % 50}", "text": "hi"}
            sent[payload["message_id"]] = time.perf_counter()
            with ThreadPoolExecutor(COPIES) as copies:
                for status, took in copies.map(
                    lambda _: _signed(channel["inbound_url"], payload), range(COPIES)
                ):
                    assert status == 200, status
                    acks.append(took)

        for user in range(50):
            identity = {"external_id": f"u-{user}", "user_id": me}
            ok(admin.post(f"/api/channels/{channel['id']}/identities", json=identity), 201)
        started = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(deliver, range(messages)))
        deadline = time.monotonic() + 120
        while len([k for k in arrived if not k.startswith("count:")]) < messages:
            if time.monotonic() > deadline:
                raise SystemExit("not every message was answered within 2 minutes")
            time.sleep(0.01)
        elapsed = time.perf_counter() - started
        time.sleep(2.0)  # time for a duplicate answer to show up, were there one
        latency = [arrived[key] - sent[key] for key in sent]
        doubled = sum(1 for k, v in arrived.items() if k.startswith("count:") and v > 1)
        print(
            f"Generic webhook: {messages} messages, {COPIES} deliveries each, {workers} at a time"
        )
        print(_row("acknowledgement (HTTP 200)", acks))
        print(_row("message in → answer delivered", latency))
        print(
            f"  throughput {messages / elapsed:.1f} answered messages/s; answered twice: {doubled}"
        )


def bench_telegram(admin: httpx.Client, agent_id: str, messages: int) -> None:
    with FakeTelegram(TOKEN) as telegram:
        config = {
            "bot_token": TOKEN,
            "api_base": telegram.url,
            "poll_timeout": 1,
            "stream_edits": False,
        }
        body = {"type": "telegram", "name": "bench-tg", "agent_id": agent_id, "config": config}
        channel = ok(admin.post("/api/channels", json=body), 201)
        me = ok(admin.get("/api/auth/me"))["user_id"]
        ok(
            admin.post(
                f"/api/channels/{channel['id']}/identities",
                json={"external_id": "7", "user_id": me},
            ),
            201,
        )
        deadline = time.monotonic() + 30
        while "getUpdates" not in telegram.calls:
            if time.monotonic() > deadline:
                raise SystemExit("the Telegram channel never polled")
            time.sleep(0.05)
        latency: list[float] = []
        for index in range(messages):
            started = time.perf_counter()
            for _ in range(COPIES):  # a redelivered update: the same chat and message id
                telegram.push_text(chat_id=1000 + index, user_id=7, text="hi", message_id=1)
            while not [r for r in telegram.replies() if r["chat_id"] == str(1000 + index)]:
                if time.perf_counter() - started > 60:
                    raise SystemExit("a Telegram message was not answered within a minute")
                time.sleep(0.005)
            latency.append(time.perf_counter() - started)
        time.sleep(2.0)
        chats = [r["chat_id"] for r in telegram.replies()]
        doubled = len(chats) - len(set(chats))
        print(f"Telegram long polling: {messages} messages in turn, each delivered {COPIES} times")
        print(_row("update served → sendMessage received", latency))
        print(f"  answered twice: {doubled}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    print(
        f"Channels benchmark: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    print(f"Load average (1 min) at start {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as home, FakeOpenAIServer() as llm:
        llm.default = Reply(text="Noted.")
        settings = Settings(
            home=Path(home),
            db_url=f"sqlite+aiosqlite:///{home}/nexora.db",
            admin_password=PASSWORD,
            detect_local_models=False,
            default_model="openai:fake-model",
            openai_base_url=llm.base_url,
            openai_api_key="sk-bench",
            memory_auto_extract=False,
            web_allowed_hosts=["127.0.0.1"],
        )
        with run_server(settings) as server, httpx.Client(base_url=server.url) as anon:
            admin = server.client(login(anon, "admin", PASSWORD))
            agent = ok(admin.post("/api/agents", json={"name": "bench-agent"}), 201)
            bench_webhook(admin, agent["id"], args.messages, args.concurrency)
            bench_telegram(admin, agent["id"], max(10, args.messages // 5))
    print(f"Load average (1 min) at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
