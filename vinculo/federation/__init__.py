"""Federation: the protocol between member nodes (signed and encrypted envelopes, receipts, signed documents)."""
