"""read_file, write_file, list_files, search_files and edit_file on a real workspace."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from nexora.security.file_guard import FileGuard, PathDenied
from nexora.security.verdict import Danger, Verdict
from nexora.tools.base import ToolContext, ToolError
from nexora.tools.builtin import BUILTIN_TOOLS
from nexora.tools.builtin.edit_file import EditFileInput
from nexora.tools.builtin.list_files import ListFilesInput
from nexora.tools.builtin.read_file import ReadFileInput
from nexora.tools.builtin.search_files import SearchFilesInput
from nexora.tools.builtin.write_file import WriteFileInput
from tests.unit.tools.conftest import MakeContext

READ = BUILTIN_TOOLS["read_file"]
WRITE = BUILTIN_TOOLS["write_file"]
LIST = BUILTIN_TOOLS["list_files"]
SEARCH = BUILTIN_TOOLS["search_files"]
EDIT = BUILTIN_TOOLS["edit_file"]


def test_every_builtin_is_registered_under_its_stable_name() -> None:
    assert sorted(BUILTIN_TOOLS) == sorted(
        [
            "read_file",
            "write_file",
            "list_files",
            "search_files",
            "edit_file",
            "shell",
            "python",
            "web_fetch",
            "web_search",
            "export_trace",
            "ask_agent",
            "schedule_task",
        ]
    )
    for name, spec in BUILTIN_TOOLS.items():
        assert spec.name == name and spec.description
        schema = spec.input_model.model_json_schema()
        assert all("description" in field for field in schema["properties"].values()), name


async def test_read_pages_through_numbered_lines(workspace: Path, context: ToolContext) -> None:
    (workspace / "notes.txt").write_text("".join(f"line {n}\n" for n in range(1, 11)))
    first = await READ.run(ReadFileInput(path="notes.txt", limit=3), context)
    assert first.splitlines() == [
        "     1\tline 1",
        "     2\tline 2",
        "     3\tline 3",
        "[lines 1-3 of 10; continue with offset=4]",
    ]
    rest = await READ.run(ReadFileInput(path="notes.txt", offset=9), context)
    assert rest.splitlines() == ["     9\tline 9", "    10\tline 10"]
    past = await READ.run(ReadFileInput(path="notes.txt", offset=50), context)
    assert "has 10 lines" in past


async def test_read_refuses_binary_missing_and_guarded_files(
    workspace: Path, context: ToolContext
) -> None:
    (workspace / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(ToolError, match="binary"):
        await READ.run(ReadFileInput(path="image.png"), context)
    with pytest.raises(ToolError, match="no such file"):
        await READ.run(ReadFileInput(path="nope.txt"), context)
    (workspace / ".env").write_text("OPENAI_API_KEY=sk-live")
    for path in (".env", "../../../../etc/passwd", "~/.ssh/id_rsa"):
        verdict = READ.check(ReadFileInput(path=path), context)
        assert verdict.verdict is Verdict.BLOCK, path
        with pytest.raises(PathDenied):
            await READ.run(ReadFileInput(path=path), context)


async def test_read_follows_no_symlink_out_of_the_workspace(
    tmp_path: Path, workspace: Path, context: ToolContext
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    (workspace / "link.txt").symlink_to(outside)
    assert not READ.check(ReadFileInput(path="link.txt"), context).allowed
    with pytest.raises(PathDenied):
        await READ.run(ReadFileInput(path="link.txt"), context)


async def test_write_creates_folders_and_reports_replacement(
    workspace: Path, context: ToolContext
) -> None:
    args = WriteFileInput(path="out/deep/report.md", content="# Report\n")
    check = WRITE.check(args, context)
    assert check.allowed and check.danger is Danger.LOW
    assert "Created" in await WRITE.run(args, context)
    assert (workspace / "out/deep/report.md").read_text() == "# Report\n"
    again = await WRITE.run(WriteFileInput(path="out/deep/report.md", content="v2"), context)
    assert again.startswith("Replaced") and (workspace / "out/deep/report.md").read_text() == "v2"


async def test_write_outside_the_workspace_is_blocked(context: ToolContext) -> None:
    args = WriteFileInput(path="/etc/cron.d/evil", content="* * * * * root sh")
    check = WRITE.check(args, context)
    assert check.verdict is Verdict.BLOCK and check.danger is Danger.CRITICAL
    with pytest.raises(PathDenied):
        await WRITE.run(args, context)


def test_input_models_cap_sizes() -> None:
    with pytest.raises(ValidationError):
        WriteFileInput(path="big", content="x" * 2_000_001)
    with pytest.raises(ValidationError):
        ReadFileInput(path="a", limit=10_001)
    with pytest.raises(ValidationError):
        ReadFileInput(path="a", unknown=1)  # type: ignore[call-arg]


async def test_list_walks_to_a_depth_and_hides_what_the_guard_denies(
    workspace: Path, context: ToolContext
) -> None:
    (workspace / "src/pkg/deep").mkdir(parents=True)
    (workspace / "src/main.py").write_text("print()\n")
    (workspace / "src/pkg/util.py").write_text("")
    (workspace / "src/pkg/deep/x.py").write_text("")
    (workspace / "server.key").write_text("-----BEGIN")
    (workspace / ".hidden").write_text("")
    shallow = await LIST.run(ListFilesInput(depth=2), context)
    assert shallow.splitlines() == ["src/", "src/pkg/", "src/main.py  (8 bytes)"]
    python = await LIST.run(ListFilesInput(path="src", pattern="*.py", depth=5), context)
    assert python.splitlines() == [
        "src/main.py  (8 bytes)",
        "src/pkg/util.py  (0 bytes)",
        "src/pkg/deep/x.py  (0 bytes)",
    ]
    hidden = await LIST.run(ListFilesInput(include_hidden=True, depth=1), context)
    assert ".hidden" in hidden and "server.key" not in hidden
    capped = await LIST.run(ListFilesInput(depth=5, limit=2), context)
    assert capped.splitlines()[-1].startswith("[stopped at 2 entries")


async def test_search_matches_regex_or_literal_and_skips_binaries(
    workspace: Path, context: ToolContext
) -> None:
    (workspace / "docs").mkdir()
    (workspace / "docs/a.md").write_text("alpha\nTODO: write (more)\n")
    (workspace / "code.py").write_text("x = 1  # todo later\n")
    (workspace / "blob.bin").write_bytes(b"TODO\x00\x01")
    (workspace / ".env").write_text("TODO=secret")
    regex = await SEARCH.run(SearchFilesInput(pattern=r"TODO|todo"), context)
    assert regex.splitlines() == [
        "code.py:1: x = 1  # todo later",
        "docs/a.md:2: TODO: write (more)",
    ]
    literal = await SEARCH.run(SearchFilesInput(pattern="(more)", literal=True), context)
    assert literal == "docs/a.md:2: TODO: write (more)"
    folded = await SEARCH.run(
        SearchFilesInput(pattern="todo", case_sensitive=False, glob="*.md"), context
    )
    assert folded == "docs/a.md:2: TODO: write (more)"
    assert await SEARCH.run(SearchFilesInput(pattern="zebra"), context) == "No matches."
    with pytest.raises(ToolError, match="regular expression"):
        await SEARCH.run(SearchFilesInput(pattern="(unclosed"), context)
    capped = await SEARCH.run(SearchFilesInput(pattern="o", max_results=1), context)
    assert capped.splitlines()[-1] == "[stopped at 1 matches]"


async def test_edit_replaces_once_and_returns_a_diff(workspace: Path, context: ToolContext) -> None:
    (workspace / "app.py").write_text("def f():\n    return 1\n\ndef g():\n    return 1\n")
    with pytest.raises(ToolError, match="occurs 2 times"):
        await EDIT.run(EditFileInput(path="app.py", old_string="return 1", new_string="x"), context)
    with pytest.raises(ToolError, match="does not occur"):
        await EDIT.run(EditFileInput(path="app.py", old_string="return 3", new_string="x"), context)
    args = EditFileInput(
        path="app.py", old_string="def g():\n    return 1", new_string="def g():\n    return 2"
    )
    assert EDIT.check(args, context).allowed
    result = await EDIT.run(args, context)
    assert result.splitlines()[:3] == [
        "Replaced 1 occurrence in app.py.",
        "--- a/app.py",
        "+++ b/app.py",
    ]
    assert "-    return 1\n+    return 2" in result
    assert (workspace / "app.py").read_text().endswith("def g():\n    return 2\n")
    every = EditFileInput(path="app.py", old_string="return", new_string="yield", replace_all=True)
    assert (await EDIT.run(every, context)).startswith("Replaced 2 occurrences")


async def test_edit_keeps_a_missing_final_newline_readable(
    workspace: Path, context: ToolContext
) -> None:
    (workspace / "a.txt").write_text("one\ntwo")
    result = await EDIT.run(EditFileInput(path="a.txt", old_string="two", new_string="2"), context)
    assert result.endswith("-two\n+2\n")
    assert (workspace / "a.txt").read_text() == "one\n2"


async def test_listing_and_search_skip_links_out_and_reach_allowed_roots(
    tmp_path: Path, workspace: Path, make_context: MakeContext
) -> None:
    shared = tmp_path / "shared"
    (shared / "docs").mkdir(parents=True)
    (shared / "docs" / "guide.md").write_text("needle\n")
    (workspace / "outside").symlink_to(shared, target_is_directory=True)
    (workspace / "inside.txt").write_text("needle\n")
    closed = make_context()
    assert await LIST.run(ListFilesInput(depth=5), closed) == "inside.txt  (7 bytes)"
    assert await SEARCH.run(SearchFilesInput(pattern="needle"), closed) == "inside.txt:1: needle"

    opened = make_context(files=FileGuard(workspace, extra_roots=(shared,)))
    listing = await LIST.run(ListFilesInput(path=str(shared), depth=5), opened)
    assert listing.splitlines() == [f"{shared}/docs/", f"{shared}/docs/guide.md  (7 bytes)"]
    found = await SEARCH.run(SearchFilesInput(pattern="needle", path=str(shared)), opened)
    assert found == f"{shared}/docs/guide.md:1: needle"
