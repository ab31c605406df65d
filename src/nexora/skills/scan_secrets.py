"""Credentials written into a skill: known key formats, private keys, and secret-named values.

Known formats are matched exactly (a GitHub token cannot be anything else); documentation
placeholders such as AWS's `AKIAIOSFODNN7EXAMPLE` or `sk-...xxxx` are reported as info.
Entropy alone flags only long literals assigned to secret-sounding names, or very random
ones in code, so checksums and hashes in documents do not flood the report.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator

from nexora.skills.scan_markdown import line_at
from nexora.skills.scan_report import Finding, Severity

# (rule, pattern, what it is); group "key" is the secret itself when it is not the whole match.
_KEY_FORMATS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("secret.aws_access_key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (
        "secret.aws_secret_key",
        re.compile(r"aws_secret_access_key\s*[=:]\s*[\"']?(?P<key>[A-Za-z0-9/+=]{40})\b", re.I),
        "an AWS secret access key",
    ),
    (
        "secret.github_token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{70,255})\b"),
        "a GitHub token",
    ),
    ("secret.slack_token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,250}\b"), "a Slack token"),
    (
        "secret.slack_webhook",
        re.compile(r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{16,}"),
        "a Slack webhook URL",
    ),
    (
        "secret.anthropic_key",
        re.compile(r"\bsk-ant-[A-Za-z0-9]{2,10}-[A-Za-z0-9_-]{20,}"),
        "an Anthropic API key",
    ),
    (
        "secret.openai_key",
        re.compile(r"\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}"),
        "an OpenAI API key",
    ),
    ("secret.google_api_key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), "a Google API key"),
    ("secret.stripe_key", re.compile(r"\b[rs]k_live_[0-9A-Za-z]{24,}\b"), "a Stripe live key"),
    (
        "secret.jwt",
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}"),
        "a JSON Web Token",
    ),
)
_SEVERITY = {"secret.jwt": Severity.MEDIUM}

_PRIVATE_KEY = re.compile(
    r"-----BEGIN ((?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----"
    r"(?P<body>[\s\S]{0,200}?)(-----END|$)"
)
_KEY_BODY = re.compile(r"[A-Za-z0-9+/=]{40,}")

_PLACEHOLDER = re.compile(
    r"example|sample|dummy|placeholder|your|xxxx|\.\.\.|<|\*\*\*|0{8}|1234567|abcdef", re.I
)

_SENSITIVE_PARTS = (
    r"secret|token|passw(?:or)?d|passwd|api[_-]?key|apikey|auth|credential|private[_-]?key"
)
_SENSITIVE_NAME = rf"[A-Za-z0-9_.-]*(?:{_SENSITIVE_PARTS})[A-Za-z0-9_.-]*"
_ASSIGNED = re.compile(
    rf"(?P<name>{_SENSITIVE_NAME})[\"']?\s*(?:=|:|=>)\s*[\"'](?P<value>[^\"'\s]{{12,}})[\"']", re.I
)
_ENV_LINE = re.compile(
    rf"^\s*(?:export\s+)?(?P<name>{_SENSITIVE_NAME})\s*=\s*(?P<value>[^\s#]{{8,}})", re.I | re.M
)
_LITERAL = re.compile(r"[\"'](?P<value>[A-Za-z0-9+/_=-]{40,})[\"']")

CODE_SUFFIXES = frozenset(
    {
        ".py",
        ".js",
        ".mjs",
        ".cjs",
        ".ts",
        ".sh",
        ".bash",
        ".json",
        ".yaml",
        ".yml",
        ".toml",
        ".ini",
        ".cfg",
    }
)


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def scan_secrets(text: str, file: str) -> list[Finding]:
    findings = [*_known_formats(text, file), *_private_keys(text, file)]
    suffix = "." + file.rsplit(".", 1)[-1].lower() if "." in file.rsplit("/", 1)[-1] else ""
    name = file.rsplit("/", 1)[-1]
    if name == ".env" or name.startswith(".env.") or suffix == ".env":
        findings.extend(_env_file(text, file))
    elif suffix in CODE_SUFFIXES:
        findings.extend(
            _assigned(text, file, already={f.line for f in findings if f.line is not None})
        )
    return findings


def _known_formats(text: str, file: str) -> Iterator[Finding]:
    for rule, pattern, what in _KEY_FORMATS:
        for match in pattern.finditer(text):
            key = match.groupdict().get("key") or match.group(0)
            line = line_at(text, match.start())
            if _PLACEHOLDER.search(key) or len(set(key)) < 8:
                message = f"a placeholder for {what}"
                yield Finding(Severity.INFO, rule, file, line, message)
                continue
            message = f"{what} written into the skill ({_redact(key)})"
            yield Finding(_SEVERITY.get(rule, Severity.HIGH), rule, file, line, message)


def _private_keys(text: str, file: str) -> Iterator[Finding]:
    for match in _PRIVATE_KEY.finditer(text):
        line = line_at(text, match.start())
        if _KEY_BODY.search(match.group("body")):
            message = "a private key written into the skill"
            yield Finding(Severity.CRITICAL, "secret.private_key", file, line, message)
        else:
            message = "a private-key header without key material (documentation?)"
            yield Finding(Severity.INFO, "secret.private_key", file, line, message)


def _assigned(text: str, file: str, *, already: set[int]) -> Iterator[Finding]:
    for match in _ASSIGNED.finditer(text):
        value, line = match.group("value"), line_at(text, match.start())
        if line in already or _PLACEHOLDER.search(value) or entropy(value) < 3.5:
            continue
        message = (
            f"{match.group('name')} is set to a literal that looks like a secret ({_redact(value)})"
        )
        yield Finding(Severity.MEDIUM, "secret.assigned", file, line, message)
        already.add(line)
    for match in _LITERAL.finditer(text):
        value, line = match.group("value"), line_at(text, match.start())
        if line in already or _PLACEHOLDER.search(value) or not _random_looking(value):
            continue
        message = f"a {len(value)}-character random-looking literal ({_redact(value)})"
        yield Finding(Severity.LOW, "secret.high_entropy", file, line, message)
        already.add(line)


def _env_file(text: str, file: str) -> Iterator[Finding]:
    for match in _ENV_LINE.finditer(text):
        value = match.group("value").strip("\"'")
        if _PLACEHOLDER.search(value) or len(set(value)) < 6:
            continue
        message = f"{match.group('name')} is set in a bundled .env file ({_redact(value)})"
        yield Finding(Severity.HIGH, "secret.env_file", file, line_at(text, match.start()), message)


def _random_looking(value: str) -> bool:
    # Hex digests (sha256 and friends) top out at 4 bits a character; keys in base64 or
    # base62 mix cases and digits well above that.
    has_mix = any(c.islower() for c in value) and any(c.isupper() for c in value)
    has_digit = any(c.isdigit() for c in value)
    return has_mix and has_digit and entropy(value) >= 4.8


def _redact(value: str) -> str:
    return f"{value[:4]}…{value[-2:]}" if len(value) > 10 else "…"
