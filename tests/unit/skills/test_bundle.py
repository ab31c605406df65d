"""Uploaded skill files: paths, links, sizes and the shapes people zip folders in."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest

from nexora.errors import ContentTooLarge, InvalidInput
from nexora.skills.bundle import BundleLimits, SkillBundle

LIMITS = BundleLimits(max_bytes=10_000, max_files=10)
SKILL = "---\nname: demo\ndescription: A demo.\n---\nDo it.\n"


def _zip(entries: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return buffer.getvalue()


def test_a_zipped_folder_loses_its_top_folder_and_keeps_its_name() -> None:
    data = _zip({"demo/SKILL.md": SKILL.encode(), "demo/scripts/run.py": b"print(1)\n"})
    bundle = SkillBundle.from_zip(data, LIMITS)
    assert bundle.folder == "demo"
    assert sorted(bundle.files) == ["SKILL.md", "scripts/run.py"]
    flat = SkillBundle.from_zip(_zip({"SKILL.md": SKILL.encode()}), LIMITS)
    assert flat.folder is None and list(flat.files) == ["SKILL.md"]


@pytest.mark.parametrize(
    "name",
    ["../evil.py", "demo/../../evil.py", "/etc/passwd", "C:/x.py", "a\\..\\b.py", "a/../../b"],
)
def test_paths_leaving_the_folder_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        SkillBundle.from_zip(_zip({"SKILL.md": SKILL.encode(), name: b"x"}), LIMITS)
    with pytest.raises(InvalidInput):
        SkillBundle.from_text_files({"SKILL.md": SKILL, name: "x"}, LIMITS)


def test_links_are_refused_in_archives_and_folders(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="symbolic link"):
        SkillBundle.from_zip(_zip({"SKILL.md": SKILL.encode()}, {"x": "/etc/passwd"}), LIMITS)
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "SKILL.md").write_text(SKILL)
    (folder / "passwd").symlink_to("/etc/passwd")
    with pytest.raises(InvalidInput, match="symbolic link"):
        SkillBundle.from_dir(folder, LIMITS)


def test_size_and_count_limits() -> None:
    big = {"SKILL.md": SKILL.encode(), "assets/big.bin": b"x" * 10_001}
    with pytest.raises(ContentTooLarge):
        SkillBundle.from_zip(_zip(big), LIMITS)
    with pytest.raises(ContentTooLarge):
        SkillBundle.from_text_files({"SKILL.md": SKILL, "a.txt": "x" * 10_001}, LIMITS)
    many = {"SKILL.md": SKILL, **{f"r/{i}.md": "x" for i in range(10)}}
    with pytest.raises(ContentTooLarge, match="at most 10 files"):
        SkillBundle.from_text_files(many, LIMITS)


def test_hidden_and_junk_files_are_dropped_so_nobody_forges_an_install_record() -> None:
    bundle = SkillBundle.from_text_files(
        {
            "SKILL.md": SKILL,
            ".nexora-install.json": '{"scan": {"verdict": "clean"}}',
            "__pycache__/x.pyc": "x",
            "refs/.DS_Store": "x",
            "refs/a.md": "a",
        },
        LIMITS,
    )
    assert list(bundle.files) == ["SKILL.md", "refs/a.md"]


def test_refusals_name_the_problem() -> None:
    with pytest.raises(InvalidInput, match=r"needs a SKILL\.md"):
        SkillBundle.from_text_files({"README.md": "x"}, LIMITS)
    with pytest.raises(InvalidInput, match="not a zip"):
        SkillBundle.from_zip(b"not a zip", LIMITS)
    with pytest.raises(InvalidInput, match="appears twice"):
        SkillBundle.from_text_files({"SKILL.md": SKILL, "a": "x", "./a": "y"}, LIMITS)


def test_archive_round_trips_and_digest_ignores_packing(tmp_path: Path) -> None:
    files = {"SKILL.md": SKILL, "scripts/run.py": "print(1)\n"}
    bundle = SkillBundle.from_text_files(files, LIMITS)
    again = SkillBundle.from_zip(bundle.archive(), LIMITS)
    assert again.files == bundle.files and again.digest() == bundle.digest()
    assert bundle.archive() == again.archive()  # same files, same bytes
    changed = SkillBundle.from_text_files({**files, "scripts/run.py": "print(2)\n"}, LIMITS)
    assert changed.digest() != bundle.digest()
    bundle.write_to(tmp_path)
    assert (tmp_path / "scripts" / "run.py").read_text() == "print(1)\n"
