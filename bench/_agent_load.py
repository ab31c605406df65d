"""In-process agent load time and memory per active agent, run as its own process.

Usage: python bench/_agent_load.py --home DIR --password PW [--count 200] [--pool-max 1000]
    [--out FILE]
Writes one JSON object to FILE (or stdout). It runs apart from the benchmark driver so the
memory it reports is Nexora's alone (no httpx clients or driver state in the same heap).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import psutil


def _rss_mb() -> float:
    return psutil.Process(os.getpid()).memory_info().rss / (1024 * 1024)


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ms(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": _pct(samples, 0.5) * 1000,
        "p99_ms": _pct(samples, 0.99) * 1000,
        "max_ms": max(samples) * 1000,
    }


async def measure(home: str, password: str, count: int, pool_max: int) -> dict[str, Any]:
    from nexora.agents.pool import AgentPool
    from nexora.config import load_settings
    from nexora.platform import Platform

    settings = load_settings(home=home, agent_pool_max_active=pool_max)
    platform = Platform.from_settings(settings)
    await platform.start()
    try:
        async with platform.db.session() as db:
            _tokens, actor = await platform.auth.login(db, "admin", password, "127.0.0.1", None)
            views = await platform.agents.visible(db, actor)
        ids = [v.record.id for v in views if v.record.name.startswith("agent-")][:count]
        if len(ids) < count:
            raise RuntimeError(f"found {len(ids)} agents named agent-*, need {count}")

        # The first agent built in a process imports pydantic_ai (unless start-up already did);
        # time that apart from the loads.
        imported_at_start = "pydantic_ai" in sys.modules
        t0 = time.perf_counter()
        import pydantic_ai  # noqa: F401

        import_s = time.perf_counter() - t0

        async def load_all(pool: AgentPool) -> tuple[list[float], list[float]]:
            """(get + acquire, acquire alone) per agent, in seconds."""
            total, acquire = [], []
            for agent_id in ids:
                async with platform.db.session() as db:
                    t = time.perf_counter()
                    view = await platform.agents.get(db, actor, agent_id)
                    t_get = time.perf_counter()
                    pool.acquire(view)
                    t_end = time.perf_counter()
                total.append(t_end - t)
                acquire.append(t_end - t_get)
            return total, acquire

        pool = platform.pool
        gc.collect()
        rss_before = _rss_mb()
        first, first_acquire = await load_all(pool)
        gc.collect()
        rss_after = _rss_mb()
        cached, cached_acquire = await load_all(pool)
        loads = pool.stats().loads

        # A second pool under tracemalloc counts Python heap growth exactly, at the cost of
        # slower allocation, so it is not timed.
        await pool.stop()
        gc.collect()
        fresh = AgentPool(pool_max, settings.agent_pool_idle_ttl_seconds)
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        await load_all(fresh)
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return {
            "agents": count,
            "pool_max": pool_max,
            "pool_loads": loads,
            "pydantic_ai_imported_at_start": imported_at_start,
            "import_pydantic_ai_ms": import_s * 1000,
            "first_load": _ms(first),
            "first_load_acquire_only": _ms(first_acquire),
            "cached_hit": _ms(cached),
            "cached_hit_acquire_only": _ms(cached_acquire),
            "rss_before_mb": rss_before,
            "rss_after_mb": rss_after,
            "rss_per_agent_kb": (rss_after - rss_before) * 1024 / count,
            "traced_per_agent_kb": (held - base) / 1024 / count,
        }
    finally:
        await platform.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--pool-max", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    result = json.dumps(asyncio.run(measure(args.home, args.password, args.count, args.pool_max)))
    if args.out is None:
        print(result)
    else:
        args.out.write_text(result, encoding="utf-8")


if __name__ == "__main__":
    main()
