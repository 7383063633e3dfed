"""umlskas: a user-space Linux kernel in Python, in the style of User-mode Linux's SKAS mode."""

__version__ = "0.1.0"

# The Python API (umlskas.api), imported on first use: importing umlskas stays cheap.
_API_NAMES = frozenset({"run", "Sandbox", "Result", "Changes", "FileChange", "UmlskasError",
                        "StartError",
                        "Bind", "Tmpfs", "Overlay",
                        "ProgramNotFound", "Timeout", "KernelFault"})


def __getattr__(name):
    if name in _API_NAMES:
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module 'umlskas' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _API_NAMES)
