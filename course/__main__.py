"""``python -m course build [--out DIR] [--execute] [NAME ...]``: build the notebooks
(see course/build.py); runs through the one shell of igverify (proofs/shell.py)."""

import sys

from course.build import add_arguments, build_command
from proofs.shell import ArgumentParser, run


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m course",
                            description="The teaching unit: build its notebooks.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=ArgumentParser)
    add_arguments(sub.add_parser("build", help="build the student and solution notebooks",
                                 description="Build the student and solution notebooks "
                                             "from course/NN_*.py."))
    args = parser.parse_args(argv)
    return run(lambda _: build_command(args))


if __name__ == "__main__":
    sys.exit(main())
