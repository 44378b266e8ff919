"""Writes of the statistics module: building the aggregates (``aggregates``), reports to the hub (``reports``)."""
