from __future__ import annotations

from pathlib import Path

from nexora.agents.config import AgentFile, dump_agent_yaml
from nexora.agents.pool import AgentPool, build_active_agent
from nexora.agents.registry import AgentView
from nexora.storage.models import AgentRecord


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def view(agent_id: str, tmp_path: Path, persona: str = "p") -> AgentView:
    config = AgentFile(id=agent_id, org_id="org", name=f"n{agent_id}", persona=persona)
    record = AgentRecord(
        id=agent_id, org_id="org", name=config.name, config_yaml=dump_agent_yaml(config)
    )
    return AgentView(record, config, tmp_path / agent_id / "workspace")


def test_lazy_load_and_lru_eviction(tmp_path: Path) -> None:
    pool = AgentPool(max_active=2, idle_ttl_seconds=3600)
    a = pool.acquire(view("a", tmp_path))
    pool.acquire(view("b", tmp_path))
    assert pool.acquire(view("a", tmp_path)) is a  # a is now most recently used
    pool.acquire(view("c", tmp_path))
    assert "b" not in pool and "a" in pool and "c" in pool
    stats = pool.stats()
    assert (stats.active, stats.loads, stats.evictions) == (2, 3, 1)


def test_idle_agents_are_evicted_after_ttl(tmp_path: Path) -> None:
    clock = Clock()
    pool = AgentPool(max_active=10, idle_ttl_seconds=60, clock=clock)
    pool.acquire(view("a", tmp_path))
    clock.now = 30
    pool.acquire(view("b", tmp_path))
    clock.now = 61
    assert pool.evict_idle() == 1
    assert "a" not in pool and "b" in pool


def test_changed_config_is_rebuilt(tmp_path: Path) -> None:
    pool = AgentPool(max_active=10, idle_ttl_seconds=60)
    first = pool.acquire(view("a", tmp_path, persona="old"))
    second = pool.acquire(view("a", tmp_path, persona="new"))
    assert first is not second
    assert second.config.persona == "new"


def test_built_agent_carries_persona(tmp_path: Path) -> None:
    active = build_active_agent(view("a", tmp_path, persona="Be brief."))
    assert active.workspace.is_dir()
    assert active.runner.name == "na"
