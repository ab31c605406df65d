"""Prompt injection in the text a skill feeds the agent: SKILL.md and its other documents.

A skill's markdown is read by the model as instructions, so the threat is text that turns
the agent against its user: overriding the system's rules, hiding actions from the user,
sending credentials away, or carrying instructions a human reviewer cannot see (HTML
comments, invisible styling, base64, invisible Unicode — the last in `scan_unicode`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator

from nexora.skills.scan_report import Finding, Severity

_I = re.IGNORECASE | re.DOTALL
_GAP = r"[\s\S]{0,80}?"  # a short stretch of words between two telling phrases

# (rule, severity, pattern, what it means)
_INJECTION: tuple[tuple[str, Severity, re.Pattern[str], str], ...] = (
    (
        "prompt.override",
        Severity.HIGH,
        re.compile(
            r"\b(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+|your\s+)*"
            r"(previous|prior|above|earlier|preceding|system|original|developer)\s+"
            r"(instructions?|rules?|directions?|prompts?|guidelines?|directives?|messages?)",
            _I,
        ),
        "tells the agent to drop the instructions it was given",
    ),
    (
        "prompt.role_hijack",
        Severity.HIGH,
        re.compile(
            r"\byou\s+are\s+now\s+(in\s+)?(dan|developer\s+mode|jailbroken|unrestricted|"
            r"unfiltered|no\s+longer\s+bound)|\bnew\s+system\s+prompt\s*:|"
            r"\bfrom\s+now\s+on\s+you\s+(have\s+no|ignore|are\s+not\s+bound)",
            _I,
        ),
        "tries to give the agent a new identity or system prompt",
    ),
    (
        "prompt.safety_bypass",
        Severity.HIGH,
        re.compile(
            r"\b(disable|bypass|circumvent|turn\s+off|deactivate|evade)\s+(the\s+|any\s+|all\s+|"
            r"your\s+)*(safety|security\s+(checks?|guards?|rules?|policies|restrictions)|"
            r"guard\s?rails?|sandbox(ing)?|approvals?|content\s+filters?|tool\s+guards?|"
            r"permission\s+checks?|restrictions)\b",
            _I,
        ),
        "tells the agent to switch off its safety measures",
    ),
    (
        "prompt.conceal",
        Severity.HIGH,
        re.compile(
            r"\b(do\s+not|don't|never)\s+(tell|inform|mention\s+(this\s+)?to|reveal\s+(this\s+)?to|"
            r"let|notify|alert)\s+the\s+user\b|\bwithout\s+(telling|informing|asking|notifying|"
            r"alerting)\s+the\s+user\b|\b(keep|hide)\s+(this|it)\s+(secret\s+)?from\s+the\s+user\b|"
            r"\bthe\s+user\s+(must|should)\s+not\s+(know|notice|see)\b",
            _I,
        ),
        "tells the agent to act behind the user's back",
    ),
    (
        "prompt.exfiltration",
        Severity.HIGH,
        re.compile(
            r"\b(send|upload|post|transmit|forward|exfiltrate|leak|copy|email)\b"
            + _GAP
            + r"(credentials|secrets|api[\s_-]?keys?|access\s+tokens?|passwords|private\s+keys?|"
            r"ssh\s+keys?|id_rsa|~/\.ssh|~/\.aws|\.env\b|environment\s+variables|cookies)"
            + _GAP
            + r"\b(to|into)\s+(https?://|an?\s+(external|remote)|my\s+server|"
            r"the\s+following|this\s+(url|endpoint|address|webhook))",
            _I,
        ),
        "tells the agent to send credentials somewhere",
    ),
    (
        "prompt.prompt_leak",
        Severity.MEDIUM,
        re.compile(
            r"\b(reveal|print|output|repeat|dump|disclose)\s+(your|the)\s+(full\s+)?"
            r"(system\s+prompt|hidden\s+instructions|initial\s+instructions)",
            _I,
        ),
        "asks the agent to disclose its system prompt",
    ),
    (
        "prompt.download_exec",
        Severity.MEDIUM,
        re.compile(
            r"\b(curl|wget)\b[^\n|]{0,200}\|\s*(sudo\s+)?(ba|z|k)?sh\b|"
            r"\b(ba)?sh\s+<\(\s*(curl|wget)\b|\biex\s*\(\s*(iwr|invoke-webrequest|new-object)",
            _I,
        ),
        "tells the agent to run a script straight from the network",
    ),
)

_HTML_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)
_HIDDEN_ELEMENT = re.compile(
    r"<(\w+)[^>]*\bstyle\s*=\s*[\"'][^\"']*("
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(px|pt|em)?\s*[;\"']|"
    r"opacity\s*:\s*0(\.0+)?\s*[;\"']|color\s*:\s*(white|#fff\b|#ffffff\b|transparent)"
    r")[^>]*>(.*?)</\1>",
    re.IGNORECASE | re.DOTALL,
)
_HIDDEN_ATTRIBUTE = re.compile(r"<(\w+)[^>]*\shidden(\s|=|>)[^>]*>(.*?)</\1>", re.I | re.S)
# Hidden text that speaks to the agent: a note to maintainers does not say "you must".
_ADDRESSES_AGENT = re.compile(
    r"\byou\s+(must|should|will|need\s+to|are\s+(to|required))\b|"
    r"\bas\s+an?\s+(ai|assistant|agent|language\s+model)\b|"
    r"\b(ai|assistant|agent|claude|gpt|llm)\s*[:,]\s",
    re.IGNORECASE,
)
# An example of bad phrasing, quoted as such: “avoid "ignore previous instructions"”.
_OPEN_QUOTES = "\"'`\u201c\u2018\u00ab"
_CLOSE_QUOTES = "\"'`\u201d\u2019\u00bb"
_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/]{160,}={0,2}(?![A-Za-z0-9+/=_-])")
_DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+;base64,\s*$", re.IGNORECASE)


def line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def scan_markdown(text: str, file: str) -> list[Finding]:
    hidden = list(_hidden_text(text, file))
    # A hidden instruction is reported once, as hidden, not again as plain text.
    seen = {(f.rule, f.line) for f in hidden}
    findings = [
        f for f in _injections(text, file, offset=0, context="") if (f.rule, f.line) not in seen
    ]
    findings.extend(hidden)
    findings.extend(_base64_blobs(text, file))
    return findings


def _injections(text: str, file: str, *, offset: int, context: str) -> Iterator[Finding]:
    """Each injection rule once per line it matches; `context` says where hidden text hid."""
    for rule, severity, pattern, meaning in _INJECTION:
        seen: set[int] = set()
        for match in pattern.finditer(text):
            line = line_at(text, match.start()) + offset
            if line in seen:
                continue
            seen.add(line)
            quoted = " ".join(match.group(0).split())[:100]
            hidden = f" ({context})" if context else ""
            level = severity
            if context:
                level = Severity.CRITICAL  # hiding an instruction from the reviewer is intent
            elif _is_quoted(text, match.start(), match.end()):
                level, hidden = Severity.LOW, " (quoted, perhaps as an example)"
            yield Finding(level, rule, file, line, f"{meaning}{hidden}: “{quoted}”")


def _is_quoted(text: str, start: int, end: int) -> bool:
    """The phrase sits right inside quotation marks: mentioned, not said."""
    before = text[max(0, start - 2) : start].strip()
    after = text[end : end + 40]
    return bool(before) and before[-1] in _OPEN_QUOTES and any(q in after for q in _CLOSE_QUOTES)


def _hidden_text(text: str, file: str) -> Iterator[Finding]:
    hidden: list[tuple[int, str, str]] = [
        (m.start(1), m.group(1), "inside an HTML comment") for m in _HTML_COMMENT.finditer(text)
    ]
    hidden.extend(
        (m.start(), m.group(m.lastindex or 0), "in invisibly styled HTML")
        for m in _HIDDEN_ELEMENT.finditer(text)
    )
    hidden.extend(
        (m.start(), m.group(3), "in an HTML element marked hidden")
        for m in _HIDDEN_ATTRIBUTE.finditer(text)
    )
    for start, content, where in hidden:
        offset = line_at(text, start) - 1
        found = list(_injections(content, file, offset=offset, context=where))
        yield from found
        words = content.split()
        if not found and where != "inside an HTML comment" and len(words) >= 3:
            message = f"text {where} that a reviewer does not see but the agent reads"
            yield Finding(Severity.MEDIUM, "markdown.hidden_text", file, offset + 1, message)
        elif not found and _ADDRESSES_AGENT.search(content):
            message = f"instructions {where}, invisible when the markdown is rendered"
            yield Finding(Severity.MEDIUM, "markdown.hidden_text", file, offset + 1, message)


def _base64_blobs(text: str, file: str) -> Iterator[Finding]:
    for match in _BASE64_RUN.finditer(text):
        if _DATA_URI.search(text, max(0, match.start() - 80), match.start()):
            continue  # an inline image
        line = line_at(text, match.start())
        decoded = _decode_text(match.group(0))
        if decoded is None:
            message = f"a {len(match.group(0))}-character base64 blob of binary data"
            yield Finding(Severity.LOW, "markdown.base64_blob", file, line, message)
            continue
        found = [
            Finding(f.severity, f.rule, file, line, f.message)  # the blob's line, not the text's
            for f in _injections(decoded, file, offset=0, context="encoded in base64")
        ]
        if found:
            yield from found
            continue
        message = f"a base64 blob that decodes to {len(decoded)} characters of hidden text"
        yield Finding(Severity.MEDIUM, "markdown.base64_blob", file, line, message)


def _decode_text(blob: str) -> str | None:
    try:
        raw = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=False)
        text = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
    return text if text and printable / len(text) > 0.95 else None
