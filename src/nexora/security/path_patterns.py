"""The files no agent may touch, and how a path is matched against them.

A pattern without a slash names a file anywhere (`*.pem`, `.env`); a pattern with one is a
whole path where `~` is a home folder, `*` stays inside one folder, `**` crosses folders and a
trailing `/**` covers the folder itself too. Matching ignores case: on case-insensitive file
systems `~/.SSH/ID_RSA` is the same file, and nothing legitimate needs the difference.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# Home-relative patterns also match every other user's home and root's: an agent running as
# one user must not read another's keys either.
DEFAULT_DENY: tuple[str, ...] = (
    # SSH, GnuPG and password stores
    "~/.ssh/**",
    "~/.gnupg/**",
    "~/.password-store/**",
    "~/.local/share/keyrings/**",
    # cloud and cluster credentials
    "~/.aws/**",
    "~/.config/gcloud/**",
    "~/.azure/**",
    "~/.kube/config",
    "~/.docker/config.json",
    "~/.config/gh/hosts.yml",
    "~/.config/hub",
    "~/.config/rclone/**",
    "~/.config/doctl/**",
    "~/.oci/**",
    "~/.s3cfg",
    "~/.boto",
    "~/.databrickscfg",
    "~/.vault-token",
    "~/.terraform.d/credentials.tfrc.json",
    "~/.dockercfg",
    "~/.my.cnf",
    # containers' and clusters' mounted secrets
    "/var/run/secrets/**",
    "/run/secrets/**",
    # key material, wherever it lies
    "*.pem",
    "*.key",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "*.p12",
    "*.pfx",
    "*.keystore",
    "*.jks",
    "*.kdbx",
    # package-registry and service tokens
    "~/.netrc",
    "~/.pgpass",
    "~/.git-credentials",
    "~/.npmrc",
    "~/.pypirc",
    "~/.config/pip/pip.conf",
    "~/.cargo/credentials",
    "~/.cargo/credentials.toml",
    "~/.gem/credentials",
    "~/.m2/settings.xml",
    "~/.gradle/gradle.properties",
    "~/.composer/auth.json",
    "~/.config/composer/auth.json",
    # shell and REPL histories: passwords and tokens typed on command lines
    "~/.*_history",
    "~/.histfile",
    "~/.lesshst",
    # environment files hold API keys by convention
    ".env",
    ".env.*",
    # the system's secrets and other processes' memory and environment
    "/etc/shadow",
    "/etc/shadow-",
    "/etc/gshadow",
    "/etc/gshadow-",
    "/etc/sudoers",
    "/etc/sudoers.d/**",
    "/etc/ssh/ssh_host_*",
    "/proc/*/environ",
    "/proc/*/mem",
    "/proc/*/root/**",
    "/proc/*/cwd/**",
    "/proc/*/fd/**",
    "/proc/*/map_files/**",
    "/etc/ssl/private/**",
    "/proc/self/**",
    "/proc/thread-self/**",
    # browsers' saved passwords and cookies
    "~/.mozilla/**",
    "~/.config/google-chrome/**",
    "~/.config/chromium/**",
    "~/.config/BraveSoftware/**",
    "~/.config/microsoft-edge/**",
    "~/Library/Application Support/Google/Chrome/**",
    "~/Library/Application Support/Firefox/**",
    "~/Library/Keychains/**",
    "~/Library/Cookies/**",
)

# Templates of environment files are committed to repositories and hold no secrets.
ENV_TEMPLATES = frozenset({".env.example", ".env.sample", ".env.template", ".env.dist"})

_TEMPLATE_SUFFIXES = (".example", ".sample", ".template", ".dist", ".tmpl")


def is_env_template(name: str) -> bool:
    """`.env.example`, `.env.local.sample`: committed templates without values."""
    return name in ENV_TEMPLATES or (name.startswith(".env") and name.endswith(_TEMPLATE_SUFFIXES))


_OTHER_HOMES = ("/home/*", "/root", "/Users/*")


@dataclass(frozen=True, slots=True)
class _Compiled:
    source: str
    regex: re.Pattern[str]
    basename_only: bool


def _translate(pattern: str) -> str:
    """Glob to regex: `**` crosses folders, `*` and `?` do not, a trailing `/**` is optional."""
    tail = ""
    if pattern.endswith("/**"):
        pattern, tail = pattern[:-3], "(?:/.*)?"
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "^" + "".join(out) + tail + "$"


def _home_variants(pattern: str, home: Path) -> list[str]:
    for prefix in ("~/", "$HOME/", "${HOME}/"):
        if pattern.startswith(prefix):
            rest = pattern[len(prefix) :]
            return [f"{home.as_posix()}/{rest}", *(f"{h}/{rest}" for h in _OTHER_HOMES)]
    return [pattern]


def wildcard_regex(pattern: str) -> str:
    """Shell wildcards as a regex: `*`, `?` and `[...]` stay within a folder; an unknown
    expansion (NUL here) may hold anything, slashes included."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        close = pattern.find("]", i + 2) if char == "[" else -1
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "\0":
            out.append(".*")
        elif close != -1:
            body = pattern[i + 1 : close]
            negate = body[:1] in {"!", "^"}
            body = re.sub(r"([\\\]^])", r"\\\1", body[1:] if negate else body)
            out.append(f"[{'^' if negate else ''}{body}]")
            i = close
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _concrete(glob: str) -> str:
    return glob.replace("**", "x").replace("*", "x").replace("?", "x")


def _examples(regex: str) -> list[str]:
    """A path a compiled pattern matches (and one inside it when it covers a folder)."""
    body = regex.removeprefix("^").removesuffix("$")
    folder = body.endswith("(?:/.*)?")
    body = body.removesuffix("(?:/.*)?").replace(".*", "x").replace("[^/]*", "x")
    body = body.replace("[^/]", "x").replace("\\", "")
    return [body, f"{body}/id_rsa"] if folder else [body]


class DenyList:
    """Compiled deny patterns; `match` names the pattern a path falls under, if any."""

    def __init__(self, patterns: Iterable[str], home: Path | None = None) -> None:
        home = (home or Path.home()).resolve()
        compiled: list[_Compiled] = []
        for source in dict.fromkeys(p.strip() for p in patterns if p.strip()):
            if "/" not in source:
                regex = re.compile(_translate(source.lower()))
                compiled.append(_Compiled(source, regex, basename_only=True))
                continue
            for variant in _home_variants(source, home):
                regex = re.compile(_translate(variant.lower().rstrip("/") or "/"))
                compiled.append(_Compiled(source, regex, basename_only=False))
        self._patterns = tuple(compiled)
        # One concrete path or name per pattern, for asking whether a wildcard could reach it.
        self.example_paths = tuple(
            (c.source, example)
            for c in compiled
            if not c.basename_only
            for example in _examples(c.regex.pattern)
        )
        self.example_names = tuple(
            (c.source, _concrete(c.source)) for c in compiled if c.basename_only
        )

    def reachable(self, pattern: str, *, names: bool = True) -> str | None:
        """The deny pattern a wildcard path could reach (`~/.ss*/id_*`), NUL standing for
        an unknown expansion; `names` also tries its last part against file-name patterns."""
        regex = re.compile(wildcard_regex(pattern), re.I)
        hit = next((src for src, path in self.example_paths if regex.fullmatch(path)), None)
        name = pattern.rsplit("/", 1)[-1]
        if hit is None and names and re.search(r"[*?\[]", name):
            name_regex = re.compile(wildcard_regex(name), re.I)
            hit = next((src for src, n in self.example_names if name_regex.fullmatch(n)), None)
        return hit

    def match(self, paths: Sequence[str]) -> str | None:
        """The first pattern any spelling of the path (lexical, resolved) matches."""
        for path in paths:
            lowered = path.lower()
            name = lowered.rsplit("/", 1)[-1]
            for pattern in self._patterns:
                if pattern.basename_only and is_env_template(name):
                    continue
                if pattern.regex.match(name if pattern.basename_only else lowered):
                    return pattern.source
        return None


@lru_cache(maxsize=64)
def compiled_deny_list(patterns: tuple[str, ...], home: Path) -> DenyList:
    """Compiling the patterns costs milliseconds and every run builds a guard: compile once."""
    return DenyList(patterns, home)
