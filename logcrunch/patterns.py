"""Regular expressions compiled at their first use instead of at import.

The layouts' patterns (stamps, formats, templates, scan) serve logs the C scanner does not read
and the pure-Python path: a `logcrunch run` of one common layout uses 17 of the 58, and compiling
all of them at import was about a tenth of its start-up (issue 13: the fixed cost of a run).
"""

from __future__ import annotations

import re
from typing import Any


class LazyPattern:
    """``re.compile(pattern, flags)``, compiled when an attribute other than ``pattern`` is
    first asked for. Each attribute of the compiled pattern (``match``, ``search``, ``sub``,
    ``groups`` ...) is then kept on this object, so later calls cost what they cost on the
    pattern itself: an instance attribute, no ``__getattr__``. Compiling twice in a race of
    threads is harmless (the same pattern either way); a bad pattern raises at its first use,
    which the tests' use of every pattern catches.
    """

    def __init__(self, pattern: str | bytes, flags: int = 0) -> None:
        self.pattern = pattern
        self._flags = flags

    @property
    def compiled(self) -> re.Pattern:
        try:
            return self.__dict__["_compiled"]
        except KeyError:
            compiled = self.__dict__["_compiled"] = re.compile(self.pattern, self._flags)
            return compiled

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # (copy, pickle and friends probe for these)
            raise AttributeError(name)
        value = getattr(self.compiled, name)
        self.__dict__[name] = value
        return value

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r})"
