import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import chainrule.core.reverse  # noqa: E402

# Every array an op's VJP rules declare shape-only is dropped from the tape in tests, however
# small, so that a wrong declaration (a rule reading such a value) fails here.
chainrule.core.reverse.SHAPE_ONLY_MIN_BYTES = 0

import chainrule.rules.elementwise  # noqa: E402

# where and its derivative select by bits from 16384 elements up (NumPy's where is faster
# below); tests use small arrays, so they take the bitwise path at every size.
chainrule.rules.elementwise._BITWISE_SELECT_MIN = 0


def pytest_terminal_summary(terminalreporter):
    """How many of check_jit's recordings were refused (they ran eagerly), by cause."""
    import collections

    from helpers import jit_refusals

    if jit_refusals:
        causes = collections.Counter(why.split("runs eagerly: ")[-1] for _, why in jit_refusals)
        terminalreporter.write_line(f"jit recordings refused in check_jit: {len(jit_refusals)}")
        for why, n in causes.most_common():
            terminalreporter.write_line(f"  {n:4d}  {why}")
