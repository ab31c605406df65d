"""What each standard-library call can do, by its dotted name: the tables the analysis reads."""

from __future__ import annotations

import builtins
from enum import StrEnum
from fnmatch import fnmatchcase


class CallKind(StrEnum):
    PROCESS = "process"  # starts a program: os.system, subprocess.*, os.exec*
    CODE_EXEC = "code_exec"  # runs Python text: eval, exec, compile
    DESERIALIZE = "deserialize"  # unpickling and unmarshalling can run code
    DYNAMIC_IMPORT = "dynamic_import"
    PERMISSIONS = "permissions"
    DELETE = "delete"
    RAW_SOCKET = "raw_socket"
    FD_REDIRECT = "fd_redirect"  # os.dup2: the second half of a reverse shell
    NATIVE = "native"  # ctypes and friends call into C with no guard in between
    NETWORK = "network"
    FILE_OPEN = "file_open"
    FILE_COPY = "file_copy"
    ENV_READ = "env_read"
    INTROSPECTION = "introspection"
    SIGNAL = "signal"  # os.kill: -1 and 0 reach every process
    FORK = "fork"
    LISTENER = "listener"  # a server socket open to the network
    LOADER = "loader"  # importlib machinery: a module loaded past the import statement


# Order matters only where patterns overlap: the first match wins.
_CALLS: tuple[tuple[str, CallKind], ...] = (
    ("os.system", CallKind.PROCESS),
    ("os.popen", CallKind.PROCESS),
    ("os.exec*", CallKind.PROCESS),
    ("os.spawn*", CallKind.PROCESS),
    ("os.posix_spawn*", CallKind.PROCESS),
    ("os.startfile", CallKind.PROCESS),
    ("subprocess.run", CallKind.PROCESS),
    ("subprocess.call", CallKind.PROCESS),
    ("subprocess.check_call", CallKind.PROCESS),
    ("subprocess.check_output", CallKind.PROCESS),
    ("subprocess.Popen", CallKind.PROCESS),
    ("subprocess.getoutput", CallKind.PROCESS),
    ("subprocess.getstatusoutput", CallKind.PROCESS),
    ("asyncio.create_subprocess_*", CallKind.PROCESS),
    ("pty.spawn", CallKind.PROCESS),
    ("platform.popen", CallKind.PROCESS),
    ("builtins.eval", CallKind.CODE_EXEC),
    ("builtins.exec", CallKind.CODE_EXEC),
    ("builtins.compile", CallKind.CODE_EXEC),
    ("types.FunctionType", CallKind.CODE_EXEC),
    ("types.CodeType", CallKind.CODE_EXEC),
    ("code.interact", CallKind.CODE_EXEC),
    ("code.InteractiveInterpreter", CallKind.CODE_EXEC),
    ("code.InteractiveConsole", CallKind.CODE_EXEC),
    ("runpy.run_*", CallKind.CODE_EXEC),
    ("marshal.load*", CallKind.DESERIALIZE),
    ("pickle.load*", CallKind.DESERIALIZE),
    ("pickle.Unpickler", CallKind.DESERIALIZE),
    ("dill.load*", CallKind.DESERIALIZE),
    ("cloudpickle.load*", CallKind.DESERIALIZE),
    ("shelve.open", CallKind.DESERIALIZE),
    ("builtins.__import__", CallKind.DYNAMIC_IMPORT),
    ("importlib.import_module", CallKind.DYNAMIC_IMPORT),
    ("importlib.__import__", CallKind.DYNAMIC_IMPORT),
    ("os.chmod", CallKind.PERMISSIONS),
    ("os.lchmod", CallKind.PERMISSIONS),
    ("os.fchmod", CallKind.PERMISSIONS),
    ("os.chown", CallKind.PERMISSIONS),
    ("os.lchown", CallKind.PERMISSIONS),
    ("os.fchown", CallKind.PERMISSIONS),
    ("os.set*id", CallKind.PERMISSIONS),
    ("shutil.chown", CallKind.PERMISSIONS),
    ("os.remove", CallKind.DELETE),
    ("os.unlink", CallKind.DELETE),
    ("os.rmdir", CallKind.DELETE),
    ("os.removedirs", CallKind.DELETE),
    ("shutil.rmtree", CallKind.DELETE),
    ("socket.socket", CallKind.RAW_SOCKET),
    ("socket.create_connection", CallKind.RAW_SOCKET),
    ("socket.fromfd", CallKind.RAW_SOCKET),
    ("os.dup2", CallKind.FD_REDIRECT),
    ("ctypes.*", CallKind.NATIVE),
    ("cffi.*", CallKind.NATIVE),
    ("builtins.open", CallKind.FILE_OPEN),
    ("io.open", CallKind.FILE_OPEN),
    ("codecs.open", CallKind.FILE_OPEN),
    ("os.open", CallKind.FILE_OPEN),
    ("shutil.copy*", CallKind.FILE_COPY),
    ("shutil.move", CallKind.FILE_COPY),
    ("os.getenv", CallKind.ENV_READ),
    ("os.getenvb", CallKind.ENV_READ),
    ("os.environ.get", CallKind.ENV_READ),
    ("sys._getframe", CallKind.INTROSPECTION),
    ("builtins.breakpoint", CallKind.CODE_EXEC),
    ("pdb.set_trace", CallKind.CODE_EXEC),
    ("pdb.run*", CallKind.CODE_EXEC),
    ("os.kill", CallKind.SIGNAL),
    ("os.killpg", CallKind.SIGNAL),
    ("os.fork", CallKind.FORK),
    ("os.forkpty", CallKind.FORK),
    ("pty.fork", CallKind.FORK),
    ("http.server.*Server", CallKind.LISTENER),
    ("http.server.test", CallKind.LISTENER),
    ("socketserver.*Server", CallKind.LISTENER),
    ("xmlrpc.server.*Server", CallKind.LISTENER),
    ("importlib.util.module_from_spec", CallKind.LOADER),
    ("importlib.util.spec_from_*", CallKind.LOADER),
    ("importlib.machinery.*", CallKind.LOADER),
    ("os.rename", CallKind.FILE_COPY),
    ("os.replace", CallKind.FILE_COPY),
    ("os.link", CallKind.FILE_COPY),
    ("os.symlink", CallKind.FILE_COPY),
    ("os.truncate", CallKind.DELETE),
    ("glob.glob", CallKind.FILE_OPEN),
    ("glob.iglob", CallKind.FILE_OPEN),
    ("webbrowser.open*", CallKind.NETWORK),
)

# Anything called in these modules reaches the network.
NETWORK_MODULES = (
    "requests",
    "httpx",
    "urllib.request",
    "urllib3",
    "http.client",
    "aiohttp",
    "smtplib",
    "ftplib",
    "telnetlib",
    "paramiko",
    "websocket",
    "websockets",
    "xmlrpc.client",
    "pycurl",
)

# Modules whose attributes are worth hiding: an attribute of one of these fetched under a
# name the analysis cannot compute is treated as an attempt to hide what is called.
SENSITIVE_MODULES = frozenset(
    {
        "os",
        "subprocess",
        "builtins",
        "pty",
        "ctypes",
        "socket",
        "shutil",
        "importlib",
        "sys",
        "marshal",
        "pickle",
        "code",
        "runpy",
        "types",
    }
)

# Imports that need a human even before anything is called.
NATIVE_IMPORTS = frozenset({"ctypes", "cffi", "_ctypes"})

# Dunder attributes that only sandbox escapes need: `().__class__.__base__.__subclasses__()`.
ESCAPE_ATTRIBUTES = frozenset(
    {"__subclasses__", "__globals__", "__builtins__", "__code__", "f_globals", "f_builtins"}
)

# Private or platform names of the same modules.
_MODULE_ALIASES = {"posix": "os", "nt": "os", "cPickle": "pickle", "_pickle": "pickle"}

BUILTIN_NAMES = frozenset(dir(builtins))

# The kinds a hidden reference may not point at.
HIDDEN_FORBIDDEN = frozenset(
    {
        CallKind.PROCESS,
        CallKind.CODE_EXEC,
        CallKind.DESERIALIZE,
        CallKind.DYNAMIC_IMPORT,
        CallKind.PERMISSIONS,
        CallKind.DELETE,
        CallKind.RAW_SOCKET,
        CallKind.FD_REDIRECT,
        CallKind.NATIVE,
        CallKind.FILE_OPEN,
        CallKind.ENV_READ,
        CallKind.INTROSPECTION,
        CallKind.SIGNAL,
        CallKind.LOADER,
    }
)

# Functions that must be called where the analysis sees them: passed along as a value
# (`Thread(target=os.system)`, `partial(os.system, ...)`, `[os.system][0](...)`), what they
# will run is out of sight.
MUST_BE_CALLED = frozenset(
    {CallKind.PROCESS, CallKind.CODE_EXEC, CallKind.DELETE, CallKind.PERMISSIONS,
     CallKind.NATIVE, CallKind.FD_REDIRECT, CallKind.SIGNAL, CallKind.DESERIALIZE}
)  # fmt: skip


def canonical(name: str) -> str:
    """`posix.system` and `nt.system` are `os.system`; `cPickle` is `pickle`."""
    head, _, rest = name.partition(".")
    head = _MODULE_ALIASES.get(head, head)
    return f"{head}.{rest}" if rest else head


def classify(name: str) -> CallKind | None:
    name = canonical(name)
    for pattern, kind in _CALLS:
        if fnmatchcase(name, pattern):
            return kind
    if any(name == m or name.startswith(m + ".") for m in NETWORK_MODULES):
        return CallKind.NETWORK
    return None


def is_sensitive_module(name: str) -> bool:
    return canonical(name).split(".")[0] in SENSITIVE_MODULES
