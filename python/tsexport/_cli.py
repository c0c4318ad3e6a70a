"""The ``tsexport`` command installed with the package: the Rust command line, not a second one."""

import signal
import sys

from ._native import main as _main


def main() -> None:
    """Run the command line with this process's arguments and exit with its code."""
    # Ctrl-C stops the command as it stops the binary: Python's own handler would only raise
    # KeyboardInterrupt once the whole command had returned.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(_main(["tsexport", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
