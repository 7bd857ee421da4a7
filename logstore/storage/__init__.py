"""Where the log rows live: PostgreSQL partitions and retention."""
