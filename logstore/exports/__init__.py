"""Exports: Portkey's export jobs (life cycle, filter dialect, task) and streaming writers."""
