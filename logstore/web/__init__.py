"""The developer web UI: log list, log detail, trace view, charts and exports."""
