"""Views of the HTTP API, one module per resource: logs, exports, feedback."""
