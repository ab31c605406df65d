"""Path tricks a red team tried on the file guard: hard links, `~user`, `..` through
magic links, look-alike spellings, unreadable links and very long paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nexora.security.file_guard import FileGuard
from nexora.security.shell_guard import check_shell
from nexora.security.verdict import Verdict


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    (path / ".ssh").mkdir(parents=True)
    (path / ".ssh" / "id_ed25519").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    (path / ".aws").mkdir()
    (path / ".aws" / "credentials").write_text("[default]\n")
    monkeypatch.setenv("HOME", str(path))
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    path.mkdir()
    return path


def _rules(files: FileGuard, path: str) -> list[str]:
    return [r.rule for r in files.check(path).reasons]


def test_a_hard_link_to_a_key_inside_the_workspace_is_denied(home: Path, workspace: Path) -> None:
    os.link(home / ".aws" / "credentials", workspace / "notes.txt")
    os.link(home / ".ssh" / "id_ed25519", workspace / "readme.md")
    files = FileGuard(workspace)
    assert _rules(files, "notes.txt") == ["file.hardlink"]
    assert _rules(files, "readme.md") == ["file.hardlink"]
    assert check_shell("cat notes.txt", files).verdict is Verdict.BLOCK


def test_hard_links_between_workspace_files_are_fine(home: Path, workspace: Path) -> None:
    (workspace / "a.txt").write_text("a")
    os.link(workspace / "a.txt", workspace / "b.txt")
    assert _rules(FileGuard(workspace), "b.txt") == []


def test_a_hard_link_into_nexoras_data_dir_is_denied(tmp_path: Path, workspace: Path) -> None:
    data = tmp_path / "nexora"
    data.mkdir()
    (data / "secret.key.txt").write_text("k")
    os.link(data / "secret.key.txt", workspace / "x.txt")
    assert _rules(FileGuard(workspace, protected=[data]), "x.txt") == ["file.hardlink"]


@pytest.mark.parametrize(
    "path",
    [
        "~root/.ssh/id_rsa",
        "~nobody/.netrc",
        "/proc/self/cwd/../../etc/shadow",
        "/proc/1/root/etc/shadow",
        "/proc/1/cwd/.aws/credentials",
        "/dev/fd/../../etc/shadow",
        "~/./.ssh/./config",
        "~/.ssh/../.ssh/config",
        "/etc//shadow/",
        "/etc/shadow/.",
        "~/.SSH/ID_RSA",
        "~/.bash_history",
        "/var/run/secrets/kubernetes.io/serviceaccount/token",
        "/" + "a" * 4000 + "/../etc/shadow",
    ],
)
def test_spellings_of_protected_files_are_denied(home: Path, workspace: Path, path: str) -> None:
    result = FileGuard(workspace, extra_roots=[Path("/")]).check(path)
    assert result.verdict is Verdict.BLOCK, path
    assert [r.rule for r in result.reasons] == ["file.denied"], path


def test_unreadable_links_do_not_crash_the_guard(workspace: Path) -> None:
    # /proc/1/root is a link only root may follow; resolving it must not raise.
    assert FileGuard(workspace).check("/proc/1/root/etc/hostname").verdict is Verdict.BLOCK


def test_look_alike_characters_name_other_files(home: Path, workspace: Path) -> None:
    """A Cyrillic dze (U+0455) or a zero-width space makes a different file, not the key: the kernel
    compares bytes, so these cannot reach ~/.ssh, and stay inside the normal rules."""
    files = FileGuard(workspace)
    assert _rules(files, "notes\u200b.txt") == []
    assert _rules(files, "~/.\u0455sh/config") == ["file.outside_workspace"]
