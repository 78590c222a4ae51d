"""The ``chainrule`` command: ``chainrule demo`` runs the guided tour.

    $ chainrule demo
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chainrule", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="the seed's Jacobian and chain-rule examples, computed and checked")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .seed_tour import main as tour

        tour()
    return 0


if __name__ == "__main__":
    sys.exit(main())
