"""Demo data: a reproducible year of a city's sampling inspection (``labsys demo``)."""

from labsys.demo.generator import DemoSummary, has_samples, load_demo

__all__ = ["DemoSummary", "has_samples", "load_demo"]
