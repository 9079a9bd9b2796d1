"""What every agent's records go through: consume, retry, dead-letter, repair, commit, drain."""
