"""The services one Nexora process runs, wired from its settings.

The API, the CLI's local mode and the `nexora worker` processes all start from here, so every
entry point shares one database engine, one agent pool, one event bus and one set of keys
per process.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from dataclasses import dataclass
from functools import partial

from nexora.agents.files import AgentFiles
from nexora.agents.pool import AgentPool
from nexora.agents.registry import AgentRegistry
from nexora.auth.keys import load_or_create_key
from nexora.auth.service import AuthService
from nexora.auth.throttle import LoginThrottle
from nexora.auth.tokens import TokenIssuer
from nexora.automation.agent_jobs import AgentScheduler
from nexora.automation.jobs import CronJobs
from nexora.automation.scheduler import Scheduler
from nexora.channels.service import Channels
from nexora.config import Settings
from nexora.governance.approvals import Approvals
from nexora.governance.audit import AuditLog
from nexora.governance.quotas import QuotaGuard
from nexora.governance.records import RecordSink
from nexora.governance.secret_store import SecretStore
from nexora.governance.secrets import SecretBox
from nexora.mcp.manager import McpManager
from nexora.memory.access import MemoryAccess
from nexora.memory.ingest.runner import Ingestion
from nexora.memory.service import Memory
from nexora.memory.upkeep import MemoryUpkeep
from nexora.periodic import Periodic
from nexora.plugins.host import PluginHost
from nexora.providers.resolver import ModelResolver
from nexora.routing.router import Router
from nexora.runtime.bus import EventBus
from nexora.runtime.chat import ChatService
from nexora.runtime.notify import EVENTS_STORED, RUN_QUEUED, Notifier
from nexora.runtime.queue import Limits, RunQueue
from nexora.runtime.service import RunService
from nexora.runtime.titles import TitleWriter
from nexora.runtime.tooling import Tooling
from nexora.runtime.usage import UsageRecorder
from nexora.runtime.worker import Worker, WorkerDeps, worker_identity
from nexora.skills.catalog import SkillCatalog
from nexora.storage import migrate
from nexora.storage.db import Database
from nexora.teams.dispatch import DispatchService
from nexora.teams.playbooks.engine import PlaybookEngine
from nexora.teams.playbooks.tools import StageTools
from nexora.teams.vault.service import Vault
from nexora.tenancy.bootstrap import bootstrap
from nexora.tools.registry import ToolRegistry
from nexora.tools.registry import registry as default_tools

log = logging.getLogger(__name__)


_background: set[asyncio.Task[None]] = set()


async def _load_agent_loop() -> None:
    """Imports the agent loop and model clients in the background once serving, so the first
    run does not pay for them and start-up does not either."""
    try:
        for module in (
            "nexora.runtime.executor",
            "pydantic_ai.models.openai",
            "nexora.tools.builtin",
            "nexora.skills.tool",
        ):
            await asyncio.to_thread(importlib.import_module, module)
    except Exception:
        log.debug("warming up the agent loop failed; the first run will load it", exc_info=True)
    finally:
        task = asyncio.current_task()
        if task is not None:
            _background.discard(task)


@dataclass
class Platform:
    settings: Settings
    db: Database
    auth: AuthService
    secrets: SecretBox
    secret_store: SecretStore
    agents: AgentRegistry
    pool: AgentPool
    models: ModelResolver
    bus: EventBus
    notifier: Notifier
    audit: AuditLog
    usage: UsageRecorder
    runs: RunService
    chat: ChatService
    worker: Worker
    approvals: Approvals
    skills: SkillCatalog
    mcp: McpManager
    plugins: PluginHost
    tools: ToolRegistry
    memory: Memory
    memory_access: MemoryAccess
    upkeep: MemoryUpkeep
    ingestion: Ingestion
    playbooks: PlaybookEngine
    vault: Vault
    dispatch: DispatchService
    # Keeps the results of finished dispatches and reports them to their reply_to.
    dispatch_settler: Periodic
    channels: Channels
    cron_jobs: CronJobs
    scheduler: Scheduler
    cron_ticker: Periodic

    @classmethod
    def from_settings(cls, settings: Settings, tools: ToolRegistry | None = None) -> Platform:
        keys = settings.home / "keys"
        jwt_secret = (
            settings.jwt_secret.get_secret_value().encode()
            if settings.jwt_secret
            else load_or_create_key(keys / "jwt.key")
        )
        secrets = SecretBox.from_keys_dir(keys)
        db = Database(settings.database_url)
        agent_files = AgentFiles(settings.agents_dir)
        agents = AgentRegistry(agent_files)
        pool = AgentPool(settings.agent_pool_max_active, settings.agent_pool_idle_ttl_seconds)
        models = ModelResolver(settings, secrets)
        bus = EventBus()
        notifier = Notifier(db)
        records = RecordSink(db, linger_seconds=settings.records_linger_seconds)
        usage = UsageRecorder(records, enabled=settings.usage_recording)
        audit = AuditLog(records, enabled=settings.audit_enabled)
        quotas = QuotaGuard(db, audit)
        runs = RunService(agents, notifier, quotas)
        approvals = Approvals(db, audit, run_released=partial(notifier.notify, RUN_QUEUED))
        skills = SkillCatalog(settings.skills_dir)
        secret_store = SecretStore(secrets)
        plugins = PluginHost(db)
        models.plugin_providers = plugins.provider
        mcp = McpManager(db, secret_store, settings, agent_files.workspace)
        tools = tools or default_tools
        memory = Memory.from_settings(settings)
        upkeep = MemoryUpkeep(db, settings, agents, models, usage, memory)
        queue = RunQueue(
            db,
            worker_identity(),
            settings.run_lease_seconds,
            Limits(settings.max_running_runs, settings.max_running_runs_per_org),
        )
        vault = Vault(settings)
        cron_jobs = CronJobs(agents)
        chat = ChatService(runs, approvals, Router(settings, models, usage))
        channels = Channels(
            db,
            settings,
            agents,
            secret_store,
            chat,
            audit,
            bus,
            plugins,
            owner=worker_identity(),
        )
        playbooks = PlaybookEngine(db, runs, agents, settings, vault=vault)
        worker = Worker(
            WorkerDeps(
                queue=queue,
                bus=bus,
                notifier=notifier,
                agents=agents,
                pool=pool,
                models=models,
                usage=usage,
                tooling=Tooling(
                    db,
                    settings,
                    tools,
                    skills,
                    mcp=mcp,
                    plugins=plugins,
                    memory=memory,
                    run_tools=[StageTools(db, playbooks).for_run],
                    scheduler=AgentScheduler(db, cron_jobs),
                ),
                titles=TitleWriter(db, usage),
                max_steps=settings.run_max_steps,
                over_quota=quotas.over_quota,
                audit=audit,
                memory=upkeep,
                observers=[playbooks.on_run_finished, channels.intake.on_run_finished],
                starters=[channels.streamer.on_run_started],
            ),
            concurrency=settings.worker_concurrency,
        )
        upkeep.busy = lambda: worker.active_runs > 0
        scheduler = Scheduler(db, runs, cron_jobs, delivered=channels.outbox.wake)
        worker.deps.observers.append(scheduler.on_run_finished)
        dispatch = DispatchService(db, settings, agents, runs, models, usage, playbooks)
        return cls(
            settings=settings,
            db=db,
            auth=AuthService(
                TokenIssuer(jwt_secret, settings.access_token_ttl_seconds),
                LoginThrottle(settings.login_max_failures, settings.login_window_seconds),
                settings.refresh_token_ttl_seconds,
            ),
            secrets=secrets,
            secret_store=secret_store,
            agents=agents,
            pool=pool,
            models=models,
            bus=bus,
            notifier=notifier,
            audit=audit,
            usage=usage,
            runs=runs,
            chat=chat,
            worker=worker,
            approvals=approvals,
            skills=skills,
            mcp=mcp,
            plugins=plugins,
            tools=tools,
            memory=memory,
            memory_access=MemoryAccess.build(memory, agents, audit),
            upkeep=upkeep,
            ingestion=Ingestion(db, settings, secret_store, memory, audit),
            playbooks=playbooks,
            vault=vault,
            dispatch=dispatch,
            dispatch_settler=Periodic("dispatch-settle", 2.0, dispatch.settle_all),
            channels=channels,
            cron_jobs=cron_jobs,
            scheduler=scheduler,
            cron_ticker=Periodic("cron", settings.cron_tick_seconds, scheduler.tick),
        )

    async def start(self, *, workers: bool = True) -> None:
        """Migrates the schema, creates the default org (and admin), starts background work."""
        self.settings.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        await migrate.upgrade(self.db)
        password = self.settings.admin_password
        async with self.db.session() as session:
            if await bootstrap(session, password.get_secret_value() if password else None):
                log.info("created user 'admin' in the default organization")
        if failed := await self.ingestion.recover():
            log.warning("%d ingestion jobs left by a stopped process were marked failed", failed)
        self.notifier.on(EVENTS_STORED, self.bus.notify_stored)
        await self.notifier.start()
        # One writer serves audit events and token usage alike.
        self.audit.writer.start()
        self.approvals.start()
        self.pool.start()
        self.mcp.start()
        try:
            await self.plugins.load_enabled()
        except Exception:  # a plugin is reported by the listing and the doctor, never fatal
            log.exception("loading the enabled plugins failed")
        if workers and self.settings.worker_concurrency > 0:
            self.worker.start()
            self.upkeep.start()
            self.playbooks.start()
            self.dispatch_settler.start()
            self.channels.start()
            self.cron_ticker.start()
            _background.add(asyncio.get_running_loop().create_task(_load_agent_loop()))

    @property
    def stream_poll_seconds(self) -> float:
        """How often run streams re-read storage for runs executing in other processes."""
        if self.notifier.crosses_processes:
            return 2.0  # LISTEN/NOTIFY wakes streams; polling is only a safety net
        if self.db.is_sqlite and self.settings.worker_concurrency > 0:
            return 5.0  # the embedded default: runs execute here and reach streams directly
        return 0.25

    async def stop(self) -> None:
        await self.cron_ticker.stop()
        await self.channels.stop()
        await self.dispatch_settler.stop()
        await self.ingestion.stop()
        await self.worker.stop()
        await self.upkeep.stop()
        await self.playbooks.stop()
        await self.worker.deps.titles.wait()
        await self.pool.stop()
        await self.mcp.stop()
        await self.approvals.stop()
        await self.audit.writer.stop()
        await self.notifier.stop()
        await self.models.aclose()
        await self.db.dispose()
