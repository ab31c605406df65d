"""Built-in task templates: a good prompt and settings for jobs people set up again and again.

A template fills in the task (from a few parameters) and its settings; what it needs from the
agent is said with it, so the console and `nexora cron templates` can tell people."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nexora.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    title: str
    schedule: str
    needs: str  # what the agent must be able to do
    parameters: tuple[str, ...]
    only_on_change: bool
    write: Callable[[dict[str, Any]], str]

    def task(self, parameters: dict[str, Any]) -> str:
        missing = [p for p in self.parameters if not parameters.get(p)]
        if missing:
            raise InvalidInput(f"parameters: the {self.name} template needs {', '.join(missing)}")
        return self.write(parameters)


def _lines(value: Any) -> str:
    items = value if isinstance(value, list) else str(value).split()
    return "\n".join(f"- {item}" for item in items)


def _digest(p: dict[str, Any]) -> str:
    return (
        "Write today's news digest. Fetch each of these feeds or pages with web_fetch:\n"
        f"{_lines(p['feeds'])}\n"
        f"Keep the items about: {p.get('topics') or 'anything important'}. For each, one line: "
        "the headline, why it matters in a few words, and the link. Group by source, newest "
        "first, at most 10 items in all. If a feed cannot be read, say which at the end."
    )


def _mail(p: dict[str, Any]) -> str:
    return (
        f"Summarise the mail that arrived in {p['mailbox']} since the last summary. List what "
        "needs an answer or a decision first (sender, subject, what is asked, by when), then "
        "anything else worth knowing in one line each. Leave out newsletters and notifications. "
        "Use your mail tools to read the mailbox; do not answer or change any message."
    )


def _watch(p: dict[str, Any]) -> str:
    return (
        f"Check {p['target']} and report its state in a few stable lines: {p['what']}. "
        "Report facts only, in the same order and wording each time, with no timestamps, so "
        "that an unchanged state gives the same report."
    )


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template(
            name="news-digest",
            title="Daily news or RSS digest",
            schedule="0 8 * * *",
            needs="the web_fetch tool (and the feeds' hosts reachable)",
            parameters=("feeds",),
            only_on_change=False,
            write=_digest,
        ),
        Template(
            name="email-highlights",
            title="Email highlights summary",
            schedule="0 8,13,17 * * 1-5",
            needs="a mail-reading tool, e.g. an IMAP MCP server, given to the agent",
            parameters=("mailbox",),
            only_on_change=False,
            write=_mail,
        ),
        Template(
            name="watch",
            title="Periodic check that alerts only on change",
            schedule="*/15 * * * *",
            needs="a tool that can read the target (web_fetch for a page, shell for a command)",
            parameters=("target", "what"),
            only_on_change=True,
            write=_watch,
        ),
    )
}


def template_named(name: str) -> Template:
    found = TEMPLATES.get(name)
    if found is None:
        raise InvalidInput(f"template: unknown template {name!r} (one of: {', '.join(TEMPLATES)})")
    return found
