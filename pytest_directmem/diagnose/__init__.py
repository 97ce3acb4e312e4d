"""Heap-dump diagnosis: direct buffers, who holds them, what is garbage (HPROF 1.0.2, JDK 11-25).

    from pytest_directmem.diagnose import analyze_dump
    a = analyze_dump("x.hprof")
"""

from .analysis import analyze_dump
from .model import Buffer, Diagnosis, DumpAnalysis, Holder, Site

__all__ = ["analyze_dump", "DumpAnalysis", "Holder", "Buffer", "Site", "Diagnosis"]
