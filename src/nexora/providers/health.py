"""Is a provider usable? A cheap reachability check for `nexora doctor` and a real test call.

`check` only lists models (no tokens spent); `probe` sends a tiny chat request through the
very model object a run would use, so it exercises the real path: client, proxy, retries.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.errors import ModelNotConfigured
from nexora.providers.config import ProviderConfig, env_configured
from nexora.storage.models import ProviderSetting

if TYPE_CHECKING:
    from nexora.providers.resolver import ModelResolver

log = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 5.0
PROBE_PROMPT = "Reply with the single word OK."


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    name: str
    configured: bool
    reachable: bool
    detail: str


@dataclass(frozen=True, slots=True)
class ProbeResult:
    ok: bool
    latency_ms: int
    detail: str
    model: str | None


def _models_request(config: ProviderConfig) -> tuple[str, dict[str, str]]:
    """The provider's model-list endpoint and auth headers: a request that costs nothing."""
    base = config.base_url.rstrip("/")
    key = config.api_key or ""
    if config.family == "anthropic":
        # The way the anthropic SDK itself sends an API key.
        return f"{base}/v1/models", {
            "Authorization": f"Bearer {key}",
            "anthropic-version": "2023-06-01",
        }
    if config.family == "google":
        return f"{base}/v1beta/models", {"x-goog-api-key": key}
    return f"{base}/models", ({"Authorization": f"Bearer {key}"} if key else {})


async def _reach(resolver: ModelResolver, org_id: str, config: ProviderConfig) -> ProviderStatus:
    url, headers = _models_request(config)
    client = resolver.http_client(org_id, config)
    try:
        response = await client.get(url, headers=headers, timeout=CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        reason = str(exc) or type(exc).__name__
        return ProviderStatus(config.name, True, False, f"{config.base_url}: {reason}")
    if response.status_code in (401, 403):
        detail = f"reachable, but the API key was rejected (HTTP {response.status_code})"
        return ProviderStatus(config.name, True, True, detail)
    if response.status_code >= 500:
        detail = f"{config.base_url} answered HTTP {response.status_code}"
        return ProviderStatus(config.name, True, False, detail)
    return ProviderStatus(config.name, True, True, f"reachable at {config.base_url}")


async def check(resolver: ModelResolver, db: AsyncSession, org_id: str) -> list[ProviderStatus]:
    """Each provider the org can see: its own, the environment's and detected local servers."""
    rows = await db.scalars(select(ProviderSetting.name).where(ProviderSetting.org_id == org_id))
    names = list(dict.fromkeys(rows))
    names += [c.name for c in env_configured(resolver.settings) if c.name not in names]
    if resolver.settings.detect_local_models:
        names += [s.preset for s in await resolver.detector.detect() if s.preset not in names]
    statuses = []
    for name in names:
        try:
            config = await resolver.provider_config(db, org_id, name)
        except ModelNotConfigured as exc:
            statuses.append(ProviderStatus(name, False, False, exc.detail))
            continue
        statuses.append(await _reach(resolver, org_id, config))
    if not statuses:
        from nexora.providers.resolver import NOT_CONFIGURED

        statuses.append(ProviderStatus("(none)", False, False, NOT_CONFIGURED))
    return statuses


async def probe(
    resolver: ModelResolver, db: AsyncSession, org_id: str, provider: str, model: str | None
) -> ProbeResult:
    """Sends one tiny chat request to `provider` and reports how it went."""
    from pydantic_ai.exceptions import AgentRunError, UserError
    from pydantic_ai.messages import ModelRequest
    from pydantic_ai.models import ModelRequestParameters
    from pydantic_ai.settings import ModelSettings

    start = time.perf_counter()

    def result(ok: bool, detail: str, name: str | None) -> ProbeResult:
        return ProbeResult(ok, round((time.perf_counter() - start) * 1000), detail, name)

    try:
        config = await resolver.provider_config(db, org_id, provider)
        model = model or next(iter(config.models), None)
        if model is None:
            return result(
                False, f"provider {provider!r} lists no models; add one to `models`", None
            )
        resolved = await resolver.resolve(db, org_id, f"{provider}:{model}")
        response = await resolved.model.request(
            [ModelRequest.user_text_prompt(PROBE_PROMPT)],
            ModelSettings(max_tokens=16),
            ModelRequestParameters(),
        )
    except (ModelNotConfigured, AgentRunError, UserError) as exc:
        return result(False, str(exc) or type(exc).__name__, model)
    answer = (response.text or "").strip()
    log.info("provider %r answered a test request with %r", provider, answer[:80])
    return result(True, f"answered {answer[:80]!r}", model)
