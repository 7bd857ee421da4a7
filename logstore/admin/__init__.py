"""The operator console (Django admin): a surface over the domain, like the web UI.

Importing the package registers every page: logs, tenancy (workspaces and keys) and the
observability pages (refused requests, per-key usage).
"""

from logstore.admin import logs, observability, tenancy  # noqa: F401 (registers the pages)
