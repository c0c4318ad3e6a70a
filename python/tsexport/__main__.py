"""``python -m tsexport``: the command line."""

from ._cli import main

main()
