"""Start-up checks for configuration that must not reach production."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def bench_endpoints_are_off(app_configs, **kwargs):
    if not getattr(settings, "LOGSTORE_BENCH_ENDPOINTS", False):
        return []
    return [
        checks.Warning(
            "LOGSTORE_BENCH_ENDPOINTS is on: an unauthenticated /bench/ endpoint is served.",
            hint="Unset it outside benchmarks.",
            id="logstore.W010",
        )
    ]
