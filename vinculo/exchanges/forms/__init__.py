"""Forms of the exchanges pages, one module per kind of exchange; ``common`` holds what they share."""
