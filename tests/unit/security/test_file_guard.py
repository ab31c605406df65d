"""The file guard on a real directory tree: symlinks, `..`, `~`, case and the deny list."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nexora.config import Settings
from nexora.security.file_guard import FileGuard, PathDenied, file_guard_for
from nexora.security.verdict import Verdict


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    (path / "src").mkdir(parents=True)
    (path / "src" / "app.py").write_text("print(1)\n")
    return path


@pytest.fixture
def files(workspace: Path) -> FileGuard:
    return FileGuard(workspace)


def _rules(files: FileGuard, path: str, *, write: bool = False) -> list[str]:
    return [r.rule for r in files.check(path, write=write).reasons]


def test_workspace_files_are_readable_and_resolve_to_real_paths(
    files: FileGuard, workspace: Path
) -> None:
    assert files.check("src/app.py").verdict is Verdict.ALLOW
    assert files.resolve("./src//app.py") == workspace.resolve() / "src" / "app.py"
    assert files.check("src/new.py", write=True).verdict is Verdict.ALLOW


def test_dot_dot_cannot_leave_the_workspace(files: FileGuard) -> None:
    assert _rules(files, "../outside.txt") == ["file.outside_workspace"]
    assert _rules(files, "src/../../x", write=True) == ["file.write_outside_workspace"]
    with pytest.raises(PathDenied) as raised:
        files.resolve("src/../../../etc/hostname")
    assert raised.value.result.verdict is Verdict.BLOCK
    assert raised.value.status_code == 403


def test_symlink_inside_workspace_pointing_out_is_refused(
    files: FileGuard, workspace: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("x")
    (workspace / "link").symlink_to(outside)
    (workspace / "dirlink").symlink_to(tmp_path)
    assert _rules(files, "link") == ["file.outside_workspace"]
    assert _rules(files, "dirlink/secret.txt") == ["file.outside_workspace"]


def test_symlink_to_a_key_is_denied_by_its_target(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "config").write_text("Host *\n")
    monkeypatch.setenv("HOME", str(home))
    (workspace / "innocent.txt").symlink_to(home / ".ssh" / "config")
    assert _rules(FileGuard(workspace), "innocent.txt") == ["file.denied"]


def test_home_spellings_and_case_reach_the_deny_list(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    files = FileGuard(workspace, extra_roots=[tmp_path / "home"])
    for spelling in ("~/.ssh/id_rsa", "$HOME/.aws/credentials", "${HOME}//.kube/config"):
        assert _rules(files, spelling) == ["file.denied"], spelling
    assert _rules(files, "~/.SSH/ID_RSA") == ["file.denied"]
    assert _rules(files, "~/notes.txt") == []  # an extra root, not denied


def test_the_deny_list_applies_inside_the_workspace(files: FileGuard) -> None:
    for name in (".env", "config/.env.production", "certs/server.KEY", "id_ed25519", "a.pem"):
        assert _rules(files, name) == ["file.denied"], name
    assert _rules(files, ".env.example") == []
    assert _rules(files, ".env", write=True) == ["file.denied"]


def test_system_secrets_and_process_memory_are_denied(files: FileGuard) -> None:
    for path in ("/proc/self/environ", "/proc/1/environ", "/proc/self/mem", "//etc//shadow"):
        assert _rules(files, path) == ["file.denied"], path
    assert _rules(files, "/etc/sudoers.d/agent") == ["file.denied"]
    assert _rules(files, "/etc/hostname") == ["file.outside_workspace"]


def test_protected_data_dir_is_denied_except_the_agents_own_workspace(tmp_path: Path) -> None:
    home = tmp_path / "nexora"
    workspace = home / "agents" / "a1" / "workspace"
    workspace.mkdir(parents=True)
    (home / "agents" / "a2" / "workspace").mkdir(parents=True)
    files = FileGuard(workspace, protected=[home], extra_roots=[tmp_path])
    assert _rules(files, "notes.md", write=True) == ["file.write"]
    assert _rules(files, str(home / "nexora.db")) == ["file.protected"]
    assert _rules(files, "../agent.yaml") == ["file.protected"]
    assert _rules(files, "../../a2/workspace/x") == ["file.protected"]


def test_file_guard_for_applies_admin_settings(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    settings = Settings(
        home=tmp_path / "home", guard_deny_paths=["*.sqlite"], guard_allow_roots=[shared]
    )
    workspace = settings.agents_dir / "a1" / "workspace"
    workspace.mkdir(parents=True)
    files = file_guard_for(settings, workspace)
    assert _rules(files, "data.SQLite") == ["file.denied"]
    assert _rules(files, "id_rsa") == ["file.denied"]  # the defaults still apply
    assert _rules(files, str(shared / "doc.txt")) == []
    assert _rules(files, str(settings.home / "config.yaml")) == ["file.protected"]


def test_nul_bytes_and_empty_paths_are_refused(files: FileGuard) -> None:
    assert _rules(files, "") == ["file.invalid"]
    assert _rules(files, "a\x00b") == ["file.invalid"]


def test_relative_paths_need_no_existing_parents(files: FileGuard, workspace: Path) -> None:
    assert files.resolve("new/dir/file.txt", write=True) == workspace.resolve() / "new/dir/file.txt"
    assert os.path.isabs(files.resolve("."))
