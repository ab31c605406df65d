"""Writes the server's OpenAPI document to a file without starting a server.

The console's typed API client is generated from it (`npm run gen:api` in console/). The app
is built against a throw-away data dir so the dump never touches a real installation.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def main(target: str) -> None:
    from nexora.api.app import create_app
    from nexora.config import Settings

    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), detect_local_models=False)
        schema = create_app(settings).openapi()
    Path(target).write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "openapi.json")
