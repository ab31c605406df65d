"""Plain records the worker and the step executor share; importing them costs nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@dataclass
class StepState:
    index: int
    prompt_tokens: int
    completion_tokens: int
    checkpointed: int


@dataclass(frozen=True, slots=True)
class ModelHandle:
    """What the executor needs of a resolved model."""

    provider: str
    name: str
    model: Any  # pydantic_ai.models.Model


# Writes a checkpoint inside a transaction someone else commits.
Store = Callable[["AsyncSession"], Awaitable[None]]
