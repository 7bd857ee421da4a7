"""From a raw Portkey log (or feedback) to stored rows: the pure normaliser and the services."""
