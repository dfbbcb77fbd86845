"""Use cases: they take ports and a clock, and import nothing from web/ or the worker."""
