"""``python -m numeric``: see numeric/cli.py."""

import sys

from .cli import main

sys.exit(main())
