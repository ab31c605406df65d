"""The rules that route a chat message, in English and Chinese, in well under a millisecond.

Each message gets scores: how much it asks for tools (files, running things, URLs, code,
schedules, sums), how many parts it has, how many team roles it names, and an overall
complexity. A greeting or a short question with no tool cue is answered directly ("fast");
tool cues, several parts or a long text need the agent ("agent"); several roles, or any
complex request to an agent that has a team, go to the team ("team"). Messages that fit none
of these clearly are marked unsure, which is when a configured router model is asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Route = Literal["fast", "agent", "team"]
ROUTES: tuple[Route, ...] = ("fast", "agent", "team")

# Estimated tokens at or below which a question counts as short, and at or above which a
# request counts as long whatever it asks.
SHORT_TOKENS = 40
LONG_TOKENS = 180
# The complexity from which a team is worth its cost: for a request that names roles or
# teamwork, and for any request to an agent that has a team.
TEAM_COMPLEXITY = 2.0
TEAM_ONLY_COMPLEXITY = 4.0


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE | re.MULTILINE)


GREETING = _any(
    r"^(?:hi|hello|hey|yo|hiya|good (?:morning|afternoon|evening|night)|thanks?(?: you)?|"
    r"thank you|ok(?:ay)?|cheers|bye|goodbye)\b[\s!.,~]*(?:there|all|so much|a lot)?[\s!.~]*$",
    r"^(?:你好|您好|嗨|哈喽|早上好|下午好|晚上好|早安|晚安|谢谢|多谢|感谢|好的|再见|拜拜)"
    r"[\s!！。~～啊呀呢哈]*$",
)
QUESTION = _any(
    r"^(?:what|who|when|where|why|how|which|is|are|was|were|do|does|did|can|could|should|"
    r"would|will|define|explain)\b",
    r"[?？]\s*$",
    r"(?:什么|谁|哪|为什么|为何|怎么|怎样|如何|多少|几|是否|吗|呢)[?？]?\s*$",
    r"^(?:什么是|谁是|哪个|哪里|为什么|怎么|如何|请问|解释)",
)
# Each pattern is one kind of tool need; the score counts the kinds a message shows.
TOOL_CUES: dict[str, re.Pattern[str]] = {
    "file": _any(
        r"\b(?:file|files|folder|directory|csv|pdf|spreadsheet|attachment|upload|rename)\b",
        r"\b(?:save|write|read|open|edit|delete) (?:it |this |that )?(?:to|in|from|the) ",
        r"\b[\w\-]+\.(?:py|js|ts|json|ya?ml|csv|txt|md|pdf|docx?|xlsx?|log|sh|toml|sql)\b",
        r"(?:^|\s)[~.]?/[\w.\-]+/",
        r"文件|目录|文件夹|路径|附件|上传|保存|读取|打开|写入|修改|重命名|删除|表格",
    ),
    "run": _any(
        r"\b(?:run|execute|exec|install|deploy|build|compile|restart|kill|shell|bash|terminal|"
        r"command|script|docker|git|pip|npm|sql|query the database)\b",
        r"运行|执行|安装|部署|编译|构建|重启|命令|脚本|终端|数据库",
    ),
    "web": _any(
        r"https?://\S+",
        r"\b(?:fetch|download|scrape|crawl|browse|search (?:the web|online|for)|look up|"
        r"google|latest news|website|web ?page)\b",
        r"搜索|搜一下|查一下|查找|下载|抓取|爬取|网页|网站|链接|最新",
    ),
    "code": _any(
        r"```",
        r"\b(?:code|function|class|bug|debug|refactor|implement|unit test|stack ?trace|"
        r"traceback|exception|regex|api)\b",
        r"代码|函数|调试|重构|实现|报错|异常|接口|单元测试",
    ),
    "schedule": _any(
        r"\b(?:schedule|remind|reminder|every (?:day|week|hour|morning|monday)|cron|"
        r"tomorrow at|at \d{1,2}(?::\d\d)?\s*(?:am|pm))\b",
        r"定时|提醒|每天|每周|每小时|每月|明天.{0,6}点|计划任务",
    ),
    "compute": _any(
        r"\d[\d,.]*\s*[-+*/×÷^%]\s*\d",
        r"\b(?:calculate|compute|sum|average|convert|how much is|percent(?:age)?|statistics)\b",
        r"计算一下|算一下|计算\s*\d|\d\s*(?:乘以?|除以?|加上?|减去?)\s*\d|求和|平均值|换算|"
        r"百分比|等于多少",
    ),
    "memory": _any(
        r"\b(?:remember|recall|forget|note that|my preferences?)\b",
        r"记住|记得|忘掉|忘记|备忘",
    ),
}
ROLE_CUES: dict[str, re.Pattern[str]] = {
    "product": _any(r"\bproduct (?:manager|owner)\b|\bPM\b|\brequirements?\b", r"产品经理|需求"),
    "design": _any(r"\bdesign(?:er)?\b|\barchitect(?:ure)?\b", r"设计|架构"),
    "develop": _any(r"\bdevelop(?:er|ment)?\b|\bengineer\b|\bprogrammer\b", r"开发|程序员|编码"),
    "test": _any(r"\btest(?:er|ing|s)?\b|\bQA\b|\bquality assurance\b", r"测试|质检|验证"),
    "review": _any(r"\breview(?:er|s)?\b|\baudit\b", r"评审|审查|审核|复核"),
    "frontend": _any(r"\bfront-?end\b|\bUI\b", r"前端|界面"),
    "backend": _any(r"\bback-?end\b|\bserver-?side\b", r"后端|服务端"),
    "ops": _any(r"\bops\b|\boperations\b|\bDevOps\b|\bmonitoring\b|\balerts?\b", r"运维|监控|告警"),
    "docs": _any(r"\bdocumentation\b|\bdocs\b|\btechnical writer\b", r"文档"),
}
TEAM_PHRASE = _any(
    r"\b(?:as a team|the team|team of|several agents|multiple agents|different roles|"
    r"review and test|test and review|design,? implement|end[- ]to[- ]end)\b",
    r"团队|多个角色|多人协作|协作|分工|审查并测试|测试并审查|设计.{0,4}实现",
)
# Markers that a request has several steps or parts.
PART_MARKERS = _any(
    r"^\s*(?:\d+[.)、]|[-*•])\s+",
    r"\b(?:then|after that|afterwards|next|finally|and also|as well as|first(?:ly)?|"
    r"second(?:ly)?)\b",
    r"然后|接着|之后|最后|首先|其次|并且|同时|以及|；|;",
)
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN_WORD = re.compile(r"[A-Za-z0-9_]+")


def estimate_tokens(text: str) -> int:
    """Roughly what a tokenizer makes of the text: about a token per Chinese character and
    1.3 per English word; close enough to tell a quick question from a specification."""
    return len(CJK.findall(text)) + round(1.3 * len(LATIN_WORD.findall(text)))


@dataclass(frozen=True, slots=True)
class Classification:
    route: Route
    reason: str
    # False when no rule fits clearly: a router model, if configured, decides instead.
    confident: bool
    scores: dict[str, float] = field(default_factory=dict)
    cues: tuple[str, ...] = ()


def classify(text: str, *, has_team: bool = False) -> Classification:
    """Routes one message by rules alone."""
    body = text.strip()
    tokens = estimate_tokens(body)
    cues = tuple(name for name, pattern in TOOL_CUES.items() if pattern.search(body))
    roles = tuple(name for name, pattern in ROLE_CUES.items() if pattern.search(body))
    parts = len(PART_MARKERS.findall(body))
    team_phrase = TEAM_PHRASE.search(body) is not None
    complexity = round(
        tokens / 60 + len(cues) + min(parts, 6) * 0.5 + len(roles) * 0.75 + team_phrase, 2
    )
    scores = {
        "tokens": float(tokens),
        "tool_cues": float(len(cues)),
        "parts": float(parts),
        "roles": float(len(roles)),
        "complexity": complexity,
    }

    def result(route: Route, reason: str, confident: bool = True) -> Classification:
        return Classification(route, reason, confident, scores, cues)

    wants_team = len(roles) >= 2 or team_phrase
    if wants_team and complexity >= TEAM_COMPLEXITY:
        named = f"names several roles ({', '.join(roles)})"
        why = named if len(roles) >= 2 else "asks for teamwork"
        if has_team:
            return result("team", f"{why}, complexity {complexity}")
        return result("agent", f"{why}, but the agent has no team")
    if has_team and complexity >= TEAM_ONLY_COMPLEXITY:
        why = f"a complex request (complexity {complexity}) to an agent with a team"
        return result("team", why)
    if cues:
        return result("agent", f"needs tools ({', '.join(cues)})")
    if wants_team:
        return result("agent", f"names work for roles ({', '.join(roles)})")
    if tokens >= LONG_TOKENS or parts >= 3:
        return result("agent", f"a long or multi-part request ({tokens} tokens, {parts} parts)")
    if GREETING.search(body):
        return result("fast", "a greeting")
    if tokens <= SHORT_TOKENS and QUESTION.search(body):
        return result("fast", "a short question without tool cues")
    if tokens <= 8:
        return result("fast", "a short message without tool cues", confident=False)
    return result("agent", "no rule fits clearly", confident=False)
