"""Builds the host-side C parts: the stub (a static binary) and the hot-path extension."""

import importlib
import os
import shutil
import subprocess
import sysconfig

HERE = os.path.dirname(os.path.abspath(__file__))
STUB_SOURCE = os.path.join(HERE, "stub.c")
STUB_BINARY = os.path.join(HERE, "umlskas-stub")
FASTPATH_SOURCE = os.path.join(HERE, "fastpath.c")
FASTPATH_MODULE = os.path.join(HERE, "_fastpath" + (sysconfig.get_config_var("EXT_SUFFIX") or ".so"))

STUB_FLAGS = ["-static", "-nostdlib", "-nostartfiles", "-fno-pie", "-no-pie", "-O2",
              "-fno-asynchronous-unwind-tables", "-Wl,-Ttext-segment=0x7ffbe0000000",
              "-Wl,--build-id=none", "-Wl,-z,noexecstack"]


class BuildError(RuntimeError):
    pass


def compiler():
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise BuildError("umlskas needs a C compiler (cc) to build its stub: "
                         "install gcc (apt-get install -y gcc)")
    return cc


def _compile(argv, output):
    # A name of this process's own: two first runs building at once must not write
    # into each other's file; the rename is atomic, the last one wins.
    tmp = f"{output}.{os.getpid()}.tmp"
    try:
        proc = subprocess.run([*argv, "-o", tmp], capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError(f"building {os.path.basename(output)} failed:\n{proc.stderr}")
        os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return output


def build_stub(output=STUB_BINARY):
    return _compile([compiler(), *STUB_FLAGS, STUB_SOURCE], output)


def build_fastpath(output=FASTPATH_MODULE):
    include = sysconfig.get_paths()["include"]
    if not os.path.exists(os.path.join(include, "Python.h")):
        raise BuildError(f"no Python.h in {include}: install the Python headers")
    return _compile([compiler(), "-O2", "-shared", "-fPIC", "-Wall", f"-I{include}",
                     FASTPATH_SOURCE], output)


def _stale(target, source):
    return not os.path.exists(target) or (
        os.path.exists(source) and os.path.getmtime(source) > os.path.getmtime(target))


def stub_path():
    """The stub binary; built on first use in a source checkout."""
    if _stale(STUB_BINARY, STUB_SOURCE):
        build_stub()
    return STUB_BINARY


def load_fastpath():
    """The C hot path, built on first use in a checkout; None if it cannot be had
    (the ctypes path then serves, slower)."""
    try:
        if _stale(FASTPATH_MODULE, FASTPATH_SOURCE):
            build_fastpath()
        return importlib.import_module("umlskas.host._fastpath")
    except (BuildError, ImportError, OSError):
        return None
