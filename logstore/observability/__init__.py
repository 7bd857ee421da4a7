"""Health probes, Prometheus metrics, request ids and structured request logs."""
