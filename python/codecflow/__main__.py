"""``python -m codecflow``: the command line (codecflow._cli)."""

import sys

from codecflow._cli import main

if __name__ == "__main__":
    sys.exit(main())
