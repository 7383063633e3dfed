#!/usr/bin/env python3
"""Run the umlskas command line from a source checkout (same as the installed `umlskas`)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from umlskas.cli import main  # noqa: E402

main(prog_name="umlskas")
