"""The evidence log: every envelope and receipt sent or received, chained by hash, with signed heads."""
