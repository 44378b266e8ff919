"""Hit/no-hit across the network: the local index, queries and answers, hits to confirm, the hub's cross-match."""
