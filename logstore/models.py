"""The log store's data: tenants, their API keys, and the immutable log rows."""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from logstore.core.fields import JSONTextField
from logstore.core.ids import uuid7

SCOPE_LOGS_WRITE = "logs.write"
SCOPE_LOGS_READ = "logs.read"
SCOPE_LOGS_EXPORT = "logs.export"
SCOPE_FEEDBACK_WRITE = "feedback.write"
ALL_SCOPES = [SCOPE_LOGS_WRITE, SCOPE_LOGS_READ, SCOPE_LOGS_EXPORT, SCOPE_FEEDBACK_WRITE]

API_KEY_PREFIX = "lsk_"


def default_scopes():
    return list(ALL_SCOPES)


class Workspace(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    retention_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Logs older than this are pruned. Empty keeps them forever.",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="logstore_workspaces"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.slug


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def revoked(self):
        return self.filter(revoked_at__isnull=False)


class ApiKey(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=200)
    # The first characters after "lsk_": unique, shown in lists, used to find the row to verify.
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=default_scopes)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every change: workers cache verified keys, and each write checks that the
    # version it cached is still current in the transaction of the write (logstore.apikeys.charge).
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["workspace__slug", "name"]

    def __str__(self):
        return f"{self.name} ({API_KEY_PREFIX}{self.prefix}…)"

    def save(self, *args, update_fields=None, **kwargs):
        if self.pk is not None and not self._state.adding:
            self.version += 1
            if update_fields is not None:
                update_fields = {*update_fields, "version"}
        super().save(*args, update_fields=update_fields, **kwargs)

    @staticmethod
    def hash(raw_key: str) -> str:
        # Keys are 200+ bits of randomness, so a fast hash is enough; no password KDF needed.
        return hashlib.sha256(raw_key.encode()).hexdigest()

    @classmethod
    def generate(cls, workspace, name, scopes=None):
        """Create a key; returns (api_key, raw_key). The raw key exists only in this return."""
        prefix = secrets.token_hex(4)
        raw = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        key = cls.objects.create(
            workspace=workspace,
            name=name,
            prefix=prefix,
            hashed_key=cls.hash(raw),
            scopes=list(scopes) if scopes is not None else default_scopes(),
        )
        return key, raw

    @staticmethod
    def prefix_of(raw_key: str) -> str | None:
        if not raw_key.startswith(API_KEY_PREFIX):
            return None
        prefix, sep, _ = raw_key[len(API_KEY_PREFIX) :].partition("_")
        return prefix if sep and prefix else None

    def matches(self, raw_key: str) -> bool:
        return hmac.compare_digest(self.hashed_key, self.hash(raw_key))

    @property
    def is_active(self):
        return self.revoked_at is None

    def has_scope(self, scope):
        return scope in (self.scopes or [])

    def revoke(self):
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


class PriceSource(models.TextChoices):
    CLIENT = "client", "reported by the client"
    OVERRIDE = "override", "price override"
    BUNDLED = "bundled", "bundled price table"
    NONE = "", "no price"


# Columns that hold a call's bodies (up to megabytes a row): lists read without them.
BODY_FIELDS = ("request", "response", "metadata", "metadata_index", "search_text")
# Calls that used tokens but matched no price: shown as "no price", and counted apart so a
# total never passes for complete when it is not.
UNPRICED = models.Q(cost_usd__isnull=True, total_tokens__isnull=False)


class LogQuerySet(models.QuerySet):
    def without_bodies(self, *keep):
        """The derived columns only (plus `keep`): what lists, traces and charts need."""
        return self.defer(*(name for name in BODY_FIELDS if name not in keep))


class Log(models.Model):
    """One LLM call or span, as a client reported it. Rows are never updated.

    On PostgreSQL the table is range-partitioned by `created_at` (see the migrations), with the
    primary key (id, created_at); ids are UUIDv7 from the app, so `id` alone is unique too.
    PostgreSQL also has a covering index for the users page (migration 0006).
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # No database constraints: deleting a workspace's key must never touch its logs.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    api_key = models.ForeignKey(
        ApiKey,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(help_text="When the call happened, as the client said.")
    received_at = models.DateTimeField(help_text="When this server stored it.")

    trace_id = models.CharField(max_length=256)
    span_id = models.CharField(max_length=256, blank=True, default="")
    parent_span_id = models.CharField(max_length=256, blank=True, default="")
    span_name = models.CharField(max_length=256, blank=True, default="")
    user = models.CharField(max_length=256, blank=True, default="")
    organization = models.CharField(max_length=256, blank=True, default="")
    environment = models.CharField(max_length=256, blank=True, default="")
    provider = models.CharField(max_length=128, blank=True, default="")
    model = models.CharField(max_length=256, blank=True, default="")
    method = models.CharField(max_length=16, blank=True, default="")
    url = models.TextField(blank=True, default="")
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    is_success = models.BooleanField(default=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    total_tokens = models.PositiveIntegerField(null=True, blank=True)
    # Parts of the usage that are priced differently: cache reads and writes (inside
    # prompt_tokens) and reasoning tokens (inside completion_tokens, except Gemini's).
    cached_tokens = models.PositiveIntegerField(
        null=True, blank=True, help_text="Prompt tokens read from the provider's cache."
    )
    cache_write_tokens = models.PositiveIntegerField(
        null=True, blank=True, help_text="Prompt tokens written to the provider's cache."
    )
    reasoning_tokens = models.PositiveIntegerField(
        null=True, blank=True, help_text="Completion tokens spent on reasoning."
    )
    streaming = models.BooleanField(default=False)
    # USD; twelve decimals keep a single cheap token ($0.000000075) exact. NULL is "no price",
    # which is not the same as a call that cost nothing.
    cost_usd = models.DecimalField(max_digits=22, decimal_places=12, null=True, blank=True)
    price_source = models.CharField(
        max_length=16, blank=True, default="", choices=PriceSource.choices
    )
    # Which price: the bundled table's version, or the override's id.
    price_ref = models.CharField(max_length=64, blank=True, default="")

    request = JSONTextField(default=dict)
    response = JSONTextField(default=dict)
    metadata = JSONTextField(null=True, blank=True)
    # Scalar metadata values as text ({"k": "5"} for both 5 and "5"), so `k=v` filters match
    # what a person typed; on PostgreSQL a GIN index serves `@>` over it.
    metadata_index = models.JSONField(default=dict, blank=True)
    # The prompt's and response's text, folded (logstore/ingestion/searchtext.py), for `q=`:
    # a trigram GIN index on PostgreSQL, an FTS5 trigram table on SQLite (migration 0010).
    search_text = models.TextField(blank=True, default="", editable=False)
    # "prompt → answer" on one line, for the list's preview column (no body read per row).
    preview = models.CharField(max_length=160, blank=True, default="", editable=False)

    objects = LogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Every list: a workspace's newest logs first, keyset-paged on (created_at, id).
            models.Index(fields=["workspace", "-created_at", "-id"], name="log_ws_created_idx"),
            # The admin's list across all of a superuser's workspaces, newest first.
            models.Index(fields=["-created_at", "-id"], name="log_created_idx"),
            # Trace view and trace-id filters: all spans of one trace.
            models.Index(fields=["workspace", "trace_id", "created_at"], name="log_ws_trace_idx"),
            # Span-id search and the "parent span" link.
            models.Index(fields=["workspace", "span_id"], name="log_ws_span_idx"),
            # "This user's latest logs".
            models.Index(fields=["workspace", "user", "-created_at"], name="log_ws_user_idx"),
            # Organisation filter and search.
            models.Index(
                fields=["workspace", "organization", "-created_at"], name="log_ws_org_idx"
            ),
            # Model and provider filters and the by-model breakdown.
            models.Index(fields=["workspace", "model", "-created_at"], name="log_ws_model_idx"),
            # Error views: failed calls are rare, so a partial index stays small.
            models.Index(
                fields=["workspace", "-created_at"],
                name="log_ws_errors_idx",
                condition=models.Q(is_success=False),
            ),
        ]

    def __str__(self):
        return str(self.id)


class IdempotencyRecord(models.Model):
    """The first response to a request that carried an `Idempotency-Key`, kept for replays."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=256)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Concurrent retries of one key serialise on this constraint.
            models.UniqueConstraint(fields=["workspace", "key"], name="idempotency_ws_key_uniq")
        ]
        indexes = [
            # Expiry sweeps delete old records by age.
            models.Index(fields=["created_at"], name="idempotency_created_idx"),
        ]

    def __str__(self):
        return self.key


class MetadataKey(models.Model):
    """Metadata keys seen per workspace, for autocomplete without scanning logs."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=256)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="metadatakey_ws_key_uniq")
        ]
        indexes = [
            # Autocomplete: the keys seen most recently first.
            models.Index(fields=["workspace", "-last_seen_at"], name="metadatakey_recent_idx"),
        ]

    def __str__(self):
        return self.key


class Feedback(models.Model):
    """A score for a trace. It may arrive before the trace does; it joins by trace_id."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    workspace = models.ForeignKey(
        Workspace, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    trace_id = models.CharField(max_length=256)
    value = models.SmallIntegerField()
    weight = models.FloatField(default=1.0)
    metadata = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Feedback shown on a trace and the weighted-feedback filter, both by trace.
            models.Index(fields=["workspace", "trace_id"], name="feedback_ws_trace_idx"),
        ]

    def __str__(self):
        return f"{self.trace_id}: {self.value}"


class LogExport(models.Model):
    """An asynchronous export job, as Portkey's export API describes it."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        IN_PROGRESS = "in_progress"
        SUCCESS = "success"
        FAILED = "failed"
        STOPPED = "stopped"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    created_by = models.CharField(max_length=256, blank=True, default="")
    description = models.TextField(blank=True, default="")
    filters = models.JSONField(default=dict)
    requested_data = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    total_records = models.PositiveIntegerField(default=0)
    records_written = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=500, blank=True, default="")
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    last_updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Listing a workspace's exports, newest first.
            models.Index(fields=["workspace", "-created_at"], name="export_ws_created_idx"),
        ]

    def __str__(self):
        return f"export {self.id} ({self.status})"


class SavedFilter(models.Model):
    """A named log filter (a query string) shared by a workspace's members."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    query = models.TextField(help_text="The filter as URL query parameters.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="savedfilter_ws_name_uniq")
        ]

    def __str__(self):
        return self.name


class RejectedRequest(models.Model):
    """An ingest request the API refused, so a misconfigured client is noticed."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    key_prefix = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    path = models.CharField(max_length=500, blank=True, default="")
    status_code = models.PositiveSmallIntegerField()
    reason = models.TextField()
    excerpt = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The admin's "recent rejections" list and its trimming.
            models.Index(fields=["-created_at"], name="rejected_created_idx"),
        ]

    def __str__(self):
        return f"{self.status_code} {self.reason[:60]}"


class ApiKeyUsage(models.Model):
    """Per-key, per-day counters of what the ingest API accepted and refused."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="usage")
    day = models.DateField()
    accepted_logs = models.PositiveBigIntegerField(default=0)
    accepted_requests = models.PositiveBigIntegerField(default=0)
    rejected_requests = models.PositiveBigIntegerField(default=0)
    bytes_received = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "day"], name="apikeyusage_key_day_uniq")
        ]

    def __str__(self):
        return f"{self.api_key_id} {self.day}"


class UsageEvent(models.Model):
    """One request's addition to its key's usage, written with the request's logs.

    Appending a row takes no lock another request waits for, where updating the key's day row
    would hold that row until the log's commit reached the disk and so serialise every request
    of the key. `logstore.apikeys.usage.fold_usage` moves them into ApiKeyUsage every ~30 s.
    """

    # No foreign key: an event must never block deleting a key; folding skips deleted keys.
    api_key_id = models.BigIntegerField()
    day = models.DateField()
    accepted_logs = models.PositiveIntegerField(default=0)
    accepted_requests = models.PositiveIntegerField(default=0)
    rejected_requests = models.PositiveIntegerField(default=0)
    bytes_received = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.api_key_id} {self.day}"


class RateLimitWindow(models.Model):
    """How many requests one API key made in one fixed rate-limit window."""

    # No foreign key: a counter must never block deleting a key, and stale rows are swept.
    api_key_id = models.BigIntegerField()
    window_start = models.BigIntegerField(help_text="Start of the window, in epoch seconds.")
    requests = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # The one row each request increments, with a single upsert.
            models.UniqueConstraint(
                fields=["api_key_id", "window_start"], name="ratelimit_key_window_uniq"
            )
        ]
        indexes = [
            # Sweeping windows that have ended.
            models.Index(fields=["window_start"], name="ratelimit_window_idx"),
        ]

    def __str__(self):
        return f"{self.api_key_id}@{self.window_start}: {self.requests}"


class ChartRollup(models.Model):
    """One workspace's logs of one hour, summed: what the charts (and the users page) read
    for whole hours.

    `dimension` "" holds all the hour's logs, with their latency histogram; the other rows hold
    one breakdown value each (`dimension` names a column of BREAKDOWN_FIELDS), each user's
    with a histogram too, for the users page. Rows are rebuilt from raw logs by
    logstore.query.rollups, never edited in place.
    """

    # No foreign key, like the logs it sums: deleting a workspace must not wait on these.
    workspace_id = models.BigIntegerField()
    hour = models.DateTimeField()
    dimension = models.CharField(max_length=16, blank=True, default="")
    value = models.CharField(max_length=256, blank=True, default="")
    requests = models.PositiveBigIntegerField(default=0)
    errors = models.PositiveBigIntegerField(default=0)
    tokens = models.PositiveBigIntegerField(default=0)
    # Summed like Log.cost_usd: NULL when none of the hour's (or value's) calls has a price.
    cost_usd = models.DecimalField(max_digits=22, decimal_places=12, null=True, blank=True)
    unpriced = models.PositiveBigIntegerField(default=0)  # calls matching UNPRICED
    last_seen = models.DateTimeField(null=True, blank=True)  # the latest created_at
    # Logs per latency bucket (logstore.query.rollups.LATENCY_BOUNDS); rows of
    # rollups.HISTOGRAM_DIMENSIONS only.
    latency_histogram = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            # One row per key; it also serves the charts' read: a workspace's rows of one
            # dimension over a range of hours.
            models.UniqueConstraint(
                fields=["workspace_id", "dimension", "hour", "value"],
                name="chartrollup_key_uniq",
            )
        ]

    def __str__(self):
        return f"{self.workspace_id} {self.hour:%Y-%m-%d %H}h {self.dimension}={self.value}"


class ChartRollupMark(models.Model):
    """The one row saying up to when the rollups include every stored log: each hour's
    rollup holds the logs created in it before `complete_before`."""

    complete_before = models.DateTimeField()

    def __str__(self):
        return f"rollups complete before {self.complete_before}"


class ModelPrice(models.Model):
    """An operator's price for a model, preferred over the bundled table from `valid_from` on.

    A workspace's own price beats a global one (no workspace); an exact model name beats a
    prefix ("ft:gpt-4o-mini" for fine-tunes, "gpt-4o-2024" for dated names).
    """

    class Match(models.TextChoices):
        EXACT = "exact"
        PREFIX = "prefix"

    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: applies to every workspace that has no price of its own.",
    )
    provider = models.CharField(
        max_length=128, blank=True, default="", help_text="Empty matches any provider."
    )
    model = models.CharField(max_length=256)
    match = models.CharField(max_length=8, choices=Match.choices, default=Match.EXACT)
    input_per_mtok = models.DecimalField(
        "input $/M tokens", max_digits=14, decimal_places=6, default=0
    )
    output_per_mtok = models.DecimalField(
        "output $/M tokens", max_digits=14, decimal_places=6, default=0
    )
    cached_input_per_mtok = models.DecimalField(
        "cached input $/M tokens",
        max_digits=14,
        decimal_places=6,
        null=True,
        blank=True,
        help_text="Empty: cached input costs the input price.",
    )
    valid_from = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["model", "-valid_from"]

    def __str__(self):
        star = "*" if self.match == self.Match.PREFIX else ""
        where = f"{self.provider}/" if self.provider else ""
        return f"{where}{self.model}{star}"
