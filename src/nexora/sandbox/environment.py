"""The environment a sandboxed command sees: an allow-list, never the server's own.

Nexora's process holds provider keys, database URLs and its own `NEXORA_*` settings; a
command an agent runs must not be able to read them from its environment. So nothing is
inherited except a few variables that only describe the locale and where programs live.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

_INHERITED = frozenset({"PATH", "LANG", "LANGUAGE", "TERM", "TZ"})
_INHERITED_PREFIXES = ("LC_",)
_DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"

# Names that look like credentials. The allow-list already keeps them out of what is
# inherited; this also refuses them when a caller passes them in `extra` by mistake.
SECRET_NAME = re.compile(
    r"^NEXORA_|^AWS_|^AZURE_|^GOOGLE_|^GCP_|^GH_|^GITHUB_|KEY$|_KEY_|TOKEN|SECRET|PASSWORD|"
    r"PASSWD|CREDENTIAL|^DATABASE_URL$|_DSN$",
    re.IGNORECASE,
)


def sandbox_env(
    *,
    home: Path,
    tmpdir: str,
    extra: Mapping[str, str] | None = None,
    inherited: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The allow-listed part of `inherited` (default: this process's environment), with
    HOME at the workspace and TMPDIR set, plus `extra` minus anything that names a secret."""
    source = os.environ if inherited is None else inherited
    env = {
        name: value
        for name, value in source.items()
        if name in _INHERITED or name.startswith(_INHERITED_PREFIXES)
    }
    env.setdefault("PATH", _DEFAULT_PATH)
    env.setdefault("LANG", "C.UTF-8")
    env["HOME"] = str(home)
    env["TMPDIR"] = tmpdir
    for name, value in (extra or {}).items():
        if not SECRET_NAME.search(name):
            env[name] = value
    return env
