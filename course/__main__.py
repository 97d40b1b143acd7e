"""``python -m course build [--out DIR] [--execute] [NAME ...]``: build the notebooks."""

import sys

from course.build import main

if __name__ == "__main__":
    if sys.argv[1:2] != ["build"]:
        sys.stderr.write("usage: python -m course build [--out DIR] [--execute] [NAME ...]\n")
        raise SystemExit(2)
    raise SystemExit(main(sys.argv[2:]))
