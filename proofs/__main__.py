"""``python -m proofs``: the exact engines from the command line (see proofs/cli.py)."""

import sys

from .cli import main

sys.exit(main())
