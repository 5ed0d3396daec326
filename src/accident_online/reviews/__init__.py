"""The review (复核) by the city-level traffic police authority (order 146 art. 72–74): its
queue, and the outcome: the determination upheld (final) or revoked (made again)."""
