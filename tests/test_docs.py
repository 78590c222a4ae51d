"""Every example in docs/*.md runs and prints what the page says (doctest format)."""

import doctest
import pathlib

import pytest

DOCS = sorted((pathlib.Path(__file__).parent.parent / "docs").glob("*.md"))


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_docs_examples(path):
    if "import autograd" in path.read_text():
        pytest.importorskip("autograd")
    result = doctest.testfile(str(path), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} example(s) in {path.name} failed"
