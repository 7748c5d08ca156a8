"""logcrunch: turn a tree of cluster logs into CSV reports with a head and workers."""

__version__ = "0.1.0"
