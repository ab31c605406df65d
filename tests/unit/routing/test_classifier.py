"""The routing rules: English and Chinese messages and the route each must take."""

from __future__ import annotations

import pytest

from nexora.routing.classifier import classify, estimate_tokens
from nexora.routing.overrides import parse_override

SPEC = (
    "Design the new billing feature, have the developer implement it, then the tester tests "
    "it and the reviewer reviews the code"
)

CASES = [
    # (message, route without a team, route when the agent has a team)
    ("hi", "fast", "fast"),
    ("Hello there!", "fast", "fast"),
    ("thanks", "fast", "fast"),
    ("你好", "fast", "fast"),
    ("谢谢！", "fast", "fast"),
    ("What is the capital of France?", "fast", "fast"),
    ("Who wrote Hamlet?", "fast", "fast"),
    ("法国的首都是哪里？", "fast", "fast"),
    ("什么是量子计算？", "fast", "fast"),
    ("Read report.csv and summarise it", "agent", "agent"),
    ("帮我读取 /data/report.csv 并总结", "agent", "agent"),
    ("Fetch https://example.com and tell me the title", "agent", "agent"),
    ("搜索一下最新的 Python 版本", "agent", "agent"),
    ("What is 1234 * 5678?", "agent", "agent"),
    ("计算 1234 乘以 5678 等于多少", "agent", "agent"),
    ("Remind me every day at 9am to drink water", "agent", "agent"),
    ("每天早上9点提醒我喝水", "agent", "agent"),
    ("```python\nprint(1/0)\n```\nwhy does this fail?", "agent", "agent"),
    ("Run the tests and restart the service", "agent", "agent"),
    ("运行这个脚本", "agent", "agent"),
    ("1. collect the logs\n2. group them by host\n3. write a summary", "agent", "agent"),
    ("Review and test the login module", "agent", "team"),
    ("请对登录模块进行审查并测试", "agent", "team"),
    (SPEC, "agent", "team"),
    ("设计新的计费功能，开发实现，然后测试验证，最后评审代码", "agent", "team"),
    ("fix the bug in parser.py", "agent", "agent"),
]


@pytest.mark.parametrize(("message", "alone", "with_team"), CASES)
def test_rules_route_each_message(message: str, alone: str, with_team: str) -> None:
    assert classify(message).route == alone, classify(message)
    assert classify(message, has_team=True).route == with_team


def test_confident_cases_and_unsure_ones() -> None:
    assert classify("hi").confident
    assert classify("Read report.csv").confident
    unsure = classify("Tell me a little about the history of the Roman empire and its fall")
    assert not unsure.confident and unsure.route == "agent"
    scores = classify(SPEC, has_team=True).scores
    assert scores["roles"] >= 3 and scores["complexity"] >= 2


def test_a_complex_request_goes_to_the_team_only_when_the_agent_has_one() -> None:
    long_job = (
        "Read the three CSV files in /data, run the cleaning script on each, then fetch "
        "https://example.com/rates.json, compute the totals per region and schedule the "
        "report every Monday. " * 2
    )
    assert classify(long_job).route == "agent"
    chosen = classify(long_job, has_team=True)
    assert chosen.route == "team" and "agent with a team" in chosen.reason


def test_token_estimate_counts_chinese_characters() -> None:
    assert estimate_tokens("你好世界") == 4
    assert estimate_tokens("hello big world") == 4


@pytest.mark.parametrize(
    ("message", "override", "text"),
    [
        ("/fast what is 2+2", "fast", "what is 2+2"),
        ("/快速 你好", "fast", "你好"),
        ("/快速你好", "fast", "你好"),
        ("/deep design a login page", "deep", "design a login page"),
        ("/深度：设计登录页", "deep", "设计登录页"),
        ("/confirm delete old.txt", "confirm", "delete old.txt"),
        ("/CONFIRM delete", "confirm", "delete"),
        ("/确认 删除 old.txt", "confirm", "删除 old.txt"),
        ("/fastapi is a library", None, "/fastapi is a library"),
        ("please /fast", None, "please /fast"),
    ],
)
def test_overrides_are_read_and_stripped(message: str, override: str | None, text: str) -> None:
    requested = parse_override(message)
    assert requested.override == override
    assert requested.text == text
