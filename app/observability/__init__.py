"""What a worker tells about itself: audit trail, health log, metrics, stats, traces."""
