"""The pure Org-AI-R scoring engine: no I/O, no framework imports."""

from orgair_scoring.dimensions import DIMENSIONS, V1_WEIGHTS, Dimension

__all__ = ["DIMENSIONS", "V1_WEIGHTS", "Dimension"]
