import re

import pytest

from logcrunch import formats, patterns, scan, stamps, summary, templates
from logcrunch.patterns import LazyPattern


def test_a_lazy_pattern_compiles_at_its_first_use_not_before():
    lazy = LazyPattern(rb"(\d+)-(\d+)")
    assert lazy.pattern == rb"(\d+)-(\d+)"  # its text is there without compiling
    assert "_compiled" not in vars(lazy)
    assert lazy.match(b"12-34").groups() == (b"12", b"34")
    assert isinstance(vars(lazy)["_compiled"], re.Pattern)


def test_a_lazy_pattern_answers_as_the_compiled_pattern_does():
    text = "a=1 b=22 c=333"
    lazy, real = LazyPattern(r"(\w)=(\d+)", re.ASCII), re.compile(r"(\w)=(\d+)", re.ASCII)
    assert [m.groups() for m in lazy.finditer(text)] == [m.groups() for m in real.finditer(text)]
    assert lazy.sub(r"\2", text) == real.sub(r"\2", text)
    assert (lazy.groups, lazy.flags, lazy.groupindex) == (real.groups, real.flags, real.groupindex)
    assert lazy.search("x") is None


def test_after_the_first_use_its_methods_are_its_own_attributes():
    lazy = LazyPattern(rb"x")
    lazy.search(b"x")
    assert vars(lazy)["search"] == lazy.compiled.search  # no __getattr__ from now on


def test_a_bad_pattern_raises_at_its_first_use():
    lazy = LazyPattern(rb"(unclosed")
    with pytest.raises(re.error):
        lazy.match(b"x")


def test_copying_a_lazy_pattern_does_not_compile_it_through_dunder_probes():
    lazy = LazyPattern(rb"x")
    with pytest.raises(AttributeError):
        lazy.__deepcopy_probe__  # noqa: B018 - an attribute probe
    assert "_compiled" not in vars(lazy)


@pytest.mark.parametrize("module", [formats, scan, stamps, summary, templates])
def test_every_lazy_pattern_of_the_scanner_compiles(module):
    lazy = [value for value in vars(module).values() if isinstance(value, patterns.LazyPattern)]
    assert lazy
    for pattern in lazy:
        assert isinstance(pattern.compiled, re.Pattern)
