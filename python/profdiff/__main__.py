"""``python -m profdiff ARGS``: runs the bundled executable with ARGS."""

import os
import subprocess
import sys

from profdiff._binary import find_profdiff_bin


def main():
    binary = find_profdiff_bin()
    if sys.platform == "win32":
        # No exec on Windows: run it and pass its exit status on.
        return subprocess.call([binary] + sys.argv[1:])
    os.execv(binary, [binary] + sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
