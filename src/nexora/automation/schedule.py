"""When a job fires next: 5-field cron expressions read in the job's own time zone (so "0 9 * * *"
stays at 09:00 across daylight-saving changes), and one-off times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from nexora.errors import InvalidInput

ONCE = "@once"


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"timezone: {name!r} is not an IANA time zone") from None


def check_schedule(expression: str) -> str:
    """A 5-field cron expression (minute hour day month weekday), or an error saying so."""
    expression = " ".join(expression.split())
    if expression == ONCE:
        return expression
    if len(expression.split(" ")) != 5 or not croniter.is_valid(expression):
        raise InvalidInput(
            f"schedule: {expression!r} is not a cron expression of 5 fields "
            "(minute hour day-of-month month day-of-week), e.g. '0 9 * * 1-5'"
        )
    return expression


def next_fire(expression: str, timezone: str, after: datetime) -> datetime | None:
    """The first firing strictly after `after`, in UTC; None for a one-off (it fires once)."""
    if expression == ONCE:
        return None
    local = as_utc(after).astimezone(zone(timezone))
    following: datetime = croniter(expression, local).get_next(datetime)
    return following.astimezone(UTC)


def shortest_gap(expression: str, timezone: str, samples: int = 48) -> timedelta:
    """The shortest time between two firings over the next `samples` ones."""
    moment = datetime.now(UTC)
    times: list[datetime] = []
    for _ in range(samples):
        following = next_fire(expression, timezone, moment)
        if following is None:
            return timedelta.max
        times.append(following)
        moment = following
    return min((b - a for a, b in pairwise(times)), default=timedelta.max)


def as_utc(moment: datetime) -> datetime:
    """Stored times come back without a zone from SQLite; they are UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
