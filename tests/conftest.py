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
