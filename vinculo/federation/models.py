"""The federation's tables (none yet: the envelope core in ``envelope.py`` is pure)."""
