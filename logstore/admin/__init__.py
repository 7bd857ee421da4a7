"""The operator console (Django admin): a surface over the domain, like the web UI.

Importing the package registers every page: logs, tenancy (workspaces and keys), the
observability pages (refused requests, per-key usage) and price overrides.
"""

from logstore.admin import logs, observability, prices, tenancy  # noqa: F401 (registers them)
