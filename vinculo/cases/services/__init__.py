"""Writes to the case registry: ``case_files`` (cases and teams) and ``parties`` (people in cases)."""
