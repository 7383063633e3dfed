"""`python -m umlskas`: the command line."""

from .cli import main

main(prog_name="umlskas")
