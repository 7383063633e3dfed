"""umlskas: a user-space Linux kernel in Python, in the style of User-mode Linux's SKAS mode."""

__version__ = "0.1.0"
