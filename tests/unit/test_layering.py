"""The kernel/host split, checked on the import statements themselves (ast, not grep).

- umlskas/kernel/** never imports the host side (umlskas.host, however spelled)
  nor python-ptrace (top-level package `ptrace`);
- umlskas/host/** imports nothing of umlskas.kernel except umlskas.kernel.machine,
  the contract module.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "umlskas"


def module_name(path):
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path):
    """Absolute names of every module an import statement in `path` can load.

    `from X import y` yields both X and X.y (y may be a submodule); relative
    imports are resolved against the file's package. Imports anywhere count,
    including inside functions and `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(), filename=str(path))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                out.append((alias.name, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                if node.level - 1 > len(base) - 1:
                    raise AssertionError(f"{path}:{node.lineno}: relative import above the top")
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            out.append((mod, node.lineno))
            for alias in node.names:
                if alias.name != "*":
                    out.append((f"{mod}.{alias.name}", node.lineno))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) \
                in ("import_module", "__import__") and node.args and \
                isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            out.append((node.args[0].value, node.lineno))
    return out


def files_under(sub):
    files = sorted((PKG / sub).rglob("*.py"))
    assert files, f"no python files under umlskas/{sub}"
    return files


def is_within(mod, prefix):
    return mod == prefix or mod.startswith(prefix + ".")


# ---- the checker itself -------------------------------------------------------------


def test_checker_resolves_relative_imports(tmp_path, monkeypatch):
    fake_root = tmp_path
    (fake_root / "umlskas" / "kernel" / "syscalls").mkdir(parents=True)
    src = fake_root / "umlskas" / "kernel" / "syscalls" / "x.py"
    src.write_text("from ...host import ptrace\nfrom .. import machine\nimport ptrace.debugger\n"
                   "def f():\n    from ...host.mode_skas import Mode\n")
    monkeypatch.setitem(globals(), "ROOT", fake_root)
    mods = {m for m, _ in imported_modules(src)}
    assert "umlskas.host" in mods and "umlskas.host.ptrace" in mods
    assert "umlskas.kernel.machine" in mods
    assert "ptrace.debugger" in mods
    assert "umlskas.host.mode_skas" in mods


# ---- kernel side ----------------------------------------------------------------------


@pytest.mark.parametrize("path", files_under("kernel"), ids=lambda p: str(p.relative_to(PKG)))
def test_kernel_never_imports_host_or_ptrace(path):
    bad = [(mod, line) for mod, line in imported_modules(path)
           if is_within(mod, "umlskas.host") or is_within(mod, "ptrace")]
    assert not bad, f"{path.relative_to(ROOT)} imports the host side: {bad}"


# ---- host side ---------------------------------------------------------------------------


ALLOWED_KERNEL = "umlskas.kernel.machine"


def host_violations(path):
    found = imported_modules(path)
    bad = []
    for mod, line in found:
        if not is_within(mod, "umlskas.kernel") or is_within(mod, ALLOWED_KERNEL):
            continue
        # `from ..kernel import machine` also names the package itself: fine only when
        # the statement imports the contract module and nothing else of the kernel.
        same = [m for m, ln in found if ln == line and is_within(m, "umlskas.kernel")]
        if mod == "umlskas.kernel" and any(is_within(m, ALLOWED_KERNEL) for m in same) and \
                all(m == "umlskas.kernel" or is_within(m, ALLOWED_KERNEL) for m in same):
            continue
        bad.append((mod, line))
    return bad


@pytest.mark.parametrize("path", files_under("host"), ids=lambda p: str(p.relative_to(PKG)))
def test_host_imports_only_the_contract(path):
    bad = host_violations(path)
    assert not bad, f"{path.relative_to(ROOT)} imports kernel internals: {bad}"


def test_host_checker_catches_internals(tmp_path, monkeypatch):
    (tmp_path / "umlskas" / "host").mkdir(parents=True)
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    src = tmp_path / "umlskas" / "host" / "y.py"
    src.write_text("from ..kernel.machine import MapOp\nfrom ..kernel import machine\n")
    assert host_violations(src) == []
    src.write_text("from ..kernel import machine, loader\n")
    assert host_violations(src) == [("umlskas.kernel", 1), ("umlskas.kernel.loader", 1)]
    src.write_text("import umlskas.kernel.address_space\n")
    assert host_violations(src) == [("umlskas.kernel.address_space", 1)]
    src.write_text("import umlskas.kernel\n")
    assert host_violations(src) == [("umlskas.kernel", 1)]


def test_contract_module_is_self_contained():
    mods = [m for m, _ in imported_modules(PKG / "kernel" / "machine.py")]
    assert all(not is_within(m, "umlskas") for m in mods), mods
