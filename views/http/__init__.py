"""What every view shares: bodies and JSON, errors, routing to owners, gathered lists, long-poll."""
