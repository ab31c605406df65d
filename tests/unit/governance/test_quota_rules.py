"""Quota windows (UTC days and months), which limit is reached first, and what callers read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from nexora.governance.quotas import Breach, Consumption, QuotaLimits, Windows, first_breach
from nexora.storage.models import Quota


def test_windows_are_utc_days_and_months() -> None:
    paris = timezone(timedelta(hours=1))
    windows = Windows.at(datetime(2025, 1, 1, 0, 30, tzinfo=paris))  # 31 Dec 23:30 UTC
    assert windows.day_start == datetime(2024, 12, 31, tzinfo=UTC)
    assert windows.day_end == datetime(2025, 1, 1, tzinfo=UTC)
    assert windows.month_start == datetime(2024, 12, 1, tzinfo=UTC)
    assert windows.month_end == datetime(2025, 1, 1, tzinfo=UTC)
    leap = Windows.at(datetime(2024, 2, 29, 12, tzinfo=UTC))
    assert leap.month_end == datetime(2024, 3, 1, tzinfo=UTC)
    january_end = Windows.at(datetime(2025, 1, 31, 23, 59, tzinfo=UTC))
    assert january_end.month_end == datetime(2025, 2, 1, tzinfo=UTC)


def _quota(user_id: str | None = None, **limits: float | None) -> Quota:
    return Quota(org_id="org-1", user_id=user_id, **limits)


def test_first_breach_checks_day_then_month_then_cost() -> None:
    windows = Windows.at(datetime(2025, 5, 10, 15, tzinfo=UTC))
    quota = _quota("user-1", daily_tokens=100, monthly_tokens=1000, monthly_cost=1.0)
    assert first_breach(quota, Consumption(99, 999, 0.99), windows) is None
    daily = first_breach(quota, Consumption(100, 2000, 5.0), windows)
    assert daily is not None and (daily.limit, daily.scope, daily.scope_id) == (
        "daily_tokens",
        "user",
        "user-1",
    )
    assert daily.resets_at == datetime(2025, 5, 11, tzinfo=UTC)
    monthly = first_breach(quota, Consumption(10, 1000, 0), windows)
    assert monthly is not None and monthly.limit == "monthly_tokens"
    assert monthly.resets_at == datetime(2025, 6, 1, tzinfo=UTC)
    cost = first_breach(_quota(monthly_cost=0.5), Consumption(0, 0, 0.5), windows)
    assert cost is not None and (cost.limit, cost.scope, cost.scope_id) == (
        "monthly_cost",
        "org",
        "org-1",
    )
    # A zero limit blocks from the start; no limit never does.
    assert first_breach(_quota(daily_tokens=0), Consumption(), windows) is not None
    assert first_breach(_quota(), Consumption(10**9, 10**9, 10**6), windows) is None


def test_breach_message_names_the_limit_and_the_reset() -> None:
    resets = datetime(2025, 5, 11, tzinfo=UTC)
    breach = Breach("user", "user-1", "daily_tokens", 50, 100, resets)
    assert breach.message("olga") == (
        "token quota exceeded: daily limit of 50 tokens for user olga reached; "
        "it resets at 2025-05-11T00:00:00Z"
    )
    assert breach.retry_after(resets - timedelta(seconds=90.5)) == 91
    assert breach.retry_after(resets + timedelta(seconds=5)) == 1
    cost = Breach("org", "org-1", "monthly_cost", 5, 6.2, resets)
    assert cost.message("default").startswith(
        "cost quota exceeded: monthly limit of $5.00 (estimated) for org default"
    )


def test_limits_model_reports_whether_any_is_set() -> None:
    assert not QuotaLimits().any()
    assert QuotaLimits(monthly_cost=0).any()
    assert QuotaLimits.model_validate({"daily_tokens": None}).model_fields_set == {"daily_tokens"}
