"""The shared LogFilter, on the database under test."""

import pytest
from django.db import connection

from logstore.models import Log
from logstore.query.filters import LogFilter
from tests.payloads import openai_chat

pytestmark = pytest.mark.django_db


def filtered(params):
    fs = LogFilter(params, queryset=Log.objects.all())
    assert fs.is_valid(), fs.errors
    return fs.qs


def test_metadata_filter_matches_the_text_form_of_numbers_and_strings(api, post_logs):
    post_logs([openai_chat("a", tier=5), openai_chat("b", tier="5"), openai_chat("c", tier=6)])
    users = sorted(filtered({"metadata": "tier=5"}).values_list("user", flat=True))
    assert users == ["a", "b"]


def test_every_metadata_pair_must_match(api, post_logs):
    post_logs([openai_chat("a", env="prod", team="x"), openai_chat("b", env="prod", team="y")])
    from django.http import QueryDict

    params = QueryDict("metadata=env%3Dprod&metadata=team%3Dy")
    assert list(filtered(params).values_list("user", flat=True)) == ["b"]


def test_several_trace_ids_at_once(api, post_logs):
    for trace in ("t1", "t2", "t3"):
        post_logs({**openai_chat(trace), "trace_id": trace})
    users = sorted(filtered({"trace_id": "t1,t3"}).values_list("user", flat=True))
    assert users == ["t1", "t3"]


def test_status_class_and_latency_bounds(api, post_logs):
    post_logs(
        [openai_chat("ok"), openai_chat("limited", status=429), openai_chat("err", status=503)]
    )
    assert list(filtered({"status_class": "5xx"}).values_list("user", flat=True)) == ["err"]
    assert sorted(filtered({"status": "429,503"}).values_list("user", flat=True)) == [
        "err",
        "limited",
    ]
    assert filtered({"latency_min": "300", "latency_max": "400"}).count() == 3


def test_invalid_input_is_reported_not_raised():
    fs = LogFilter({"status_class": "9xx", "metadata": "novalue", "start": "yesterday"})
    assert not fs.is_valid()
    assert set(fs.errors) == {"status_class", "metadata", "start"}


@pytest.mark.postgres
def test_a_metadata_filter_is_served_by_the_gin_index(api, post_logs):
    post_logs([openai_chat(str(i), feature=f"f{i % 50}") for i in range(200)])
    qs = filtered({"metadata": "feature=f7"})
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        plan = qs.explain()
        cursor.execute("RESET enable_seqscan")
    assert "Index Cond: (metadata_index @>" in plan, plan
    assert "Seq Scan" not in plan, plan
    assert qs.count() == 4


def test_a_nul_character_in_any_filter_is_invalid_input(api, post_logs):
    post_logs(openai_chat())
    for params in ({"user": "a\x00"}, {"trace_id": "t\x00"}, {"metadata": "k=\x00"}):
        fs = LogFilter(params, queryset=Log.objects.all())
        assert not fs.is_valid()
        assert list(fs.errors) == [next(iter(params))]


@pytest.mark.parametrize("key", ["0", "12", 'say "hi"', "a.b", "[0]", "$", "it's", "a\\b"])
def test_metadata_filter_matches_keys_that_look_like_json_paths(post_logs, key):
    post_logs([openai_chat("match", **{key: "v"}), openai_chat("other", **{key: "w"})])
    assert list(filtered({"metadata": f"{key}=v"}).values_list("user", flat=True)) == ["match"]
