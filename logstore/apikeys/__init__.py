"""API keys: issuing them, counting requests against the rate limit, and per-key usage records."""
