"""Vínculo: a federated network for prosecuting trafficking in persons and migrant smuggling."""

__version__ = "0.1.0"
