"""MinerU's cloud parsing API (v4) on loopback, as its upload flow speaks it: batch upload
URLs, a bare PUT of the file, batch results polled until `done` (or `failed`), and a result
zip holding `full.md`, the content list and images.

    with LoopbackSite() as site:
        mineru = FakeMinerU(site, markdown="# Title\n\nText")
        ...  # settings.mineru_base_url = site.url("")
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field

from tests.fakes.web_site import LoopbackSite, Reply, Seen

BATCH_ID = "3a1e4f6c-batch"


@dataclass
class FakeMinerU:
    site: LoopbackSite
    token: str = "mineru-token"
    markdown: str = "# Parsed\n\nText MinerU read."
    polls_before_done: int = 1  # answers "running" this many times after the upload
    fail_with: str | None = None  # err_msg of a failed parse
    never_finish: bool = False
    uploads: list[Seen] = field(default_factory=list)
    polls: int = 0

    def __post_init__(self) -> None:
        self.site.route("/api/v4/file-urls/batch", self._batch)
        self.site.route(f"/upload/{BATCH_ID}", self._upload)
        self.site.route(f"/api/v4/extract-results/batch/{BATCH_ID}", self._results)
        self.site.route(
            f"/results/{BATCH_ID}.zip", lambda _seen: Reply(200, self._zip(), "application/zip")
        )

    def _refused(self, seen: Seen) -> Reply | None:
        if seen.headers.get("authorization") != f"Bearer {self.token}":
            # The gateway's own envelope, not the business one.
            return Reply.json(
                {
                    "success": False,
                    "msgCode": "A0202",
                    "msg": "user authenticate failed",
                    "data": None,
                },
                status=401,
            )
        return None

    def _batch(self, seen: Seen) -> Reply:
        if refused := self._refused(seen):
            return refused
        body = seen.json()
        self.requested = body
        assert [f["name"] for f in body["files"]], body
        return Reply.json(
            {
                "code": 0,
                "msg": "ok",
                "trace_id": "c8b2",
                "data": {"batch_id": BATCH_ID, "file_urls": [self.site.url(f"/upload/{BATCH_ID}")]},
            }
        )

    def _upload(self, seen: Seen) -> Reply:
        if seen.method != "PUT":
            return Reply(405, b"use PUT")
        self.uploads.append(seen)
        return Reply(200, b"")

    def _results(self, seen: Seen) -> Reply:
        if refused := self._refused(seen):
            return refused
        name = self.requested["files"][0]["name"]
        result: dict[str, object] = {
            "file_name": name,
            "data_id": self.requested["files"][0].get("data_id"),
            "err_msg": "",
        }
        if not self.uploads:
            result["state"] = "waiting-file"
        elif self.never_finish or self.polls < self.polls_before_done:
            self.polls += 1
            result["state"] = "running"
            result["extract_progress"] = {
                "extracted_pages": 1,
                "total_pages": 3,
                "start_time": "2025-01-20 11:43:20",
            }
        elif self.fail_with is not None:
            result.update(state="failed", err_msg=self.fail_with)
        else:
            result.update(state="done", full_zip_url=self.site.url(f"/results/{BATCH_ID}.zip"))
        return Reply.json(
            {
                "code": 0,
                "msg": "ok",
                "trace_id": "c8b3",
                "data": {"batch_id": BATCH_ID, "extract_result": [result]},
            }
        )

    def _zip(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("full.md", self.markdown)
            archive.writestr(
                "document_content_list.json",
                json.dumps([{"type": "text", "text": "x", "page_idx": 0}]),
            )
            archive.writestr("layout.json", "{}")
            archive.writestr("images/figure1.jpg", b"\xff\xd8\xff")
        return out.getvalue()
