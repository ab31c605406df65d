"""The routes a user can ask for at the start of a message, in English or Chinese.

`/fast` (`/快速`) answers directly without tools; `/deep` (`/深度`) gives the message the
team, or a single agent with more steps; `/confirm` (`/确认`) runs with tools, every call
waiting for the sender's yes. The prefix is not part of what the agent reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Override = Literal["fast", "deep", "confirm"]

_PREFIX = re.compile(
    r"^\s*/(?:(?P<en>fast|deep|confirm)(?=\s|$)|(?P<zh>快速|深度|确认))[\s:：,，]*",
    re.IGNORECASE,
)
_CHINESE: dict[str, Override] = {"快速": "fast", "深度": "deep", "确认": "confirm"}


@dataclass(frozen=True, slots=True)
class Requested:
    override: Override | None
    text: str  # the message without the prefix


def parse_override(message: str) -> Requested:
    found = _PREFIX.match(message)
    if found is None:
        return Requested(None, message)
    override: Override = (
        _CHINESE[found["zh"]] if found["zh"] else found["en"].lower()  # type: ignore[assignment]
    )
    return Requested(override, message[found.end() :])
