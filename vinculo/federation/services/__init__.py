"""Federation services: the hub's register (``hub``), a node's directory copy (``node``), key events (``keys``)."""
