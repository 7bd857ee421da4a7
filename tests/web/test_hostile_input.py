"""Whatever is typed into the URL, the pages answer with a message, never a server error."""

import pytest

from tests.web.conftest import chat

pytestmark = pytest.mark.django_db

URLS = [
    "/?latency_min=1e309",
    "/?latency_min=-5",
    "/?latency_min=NaN",
    "/?tokens_max=99999999999999999999999",
    "/?user=%00",
    "/?trace_id=a%00b",
    "/?metadata=k%3Dv%00",
    "/?metadata=%00%3Dv",
    "/?since=99y",
    "/?start=2026-13-45",
    "/?start=2030-01-01T00:00&end=2020-01-01",
    "/?start=0001-01-01T00:00",
    "/?end=9999-12-31T23:59:59",
    "/?span_id=" + "x" * 5000,
    "/?status=200,abc",
    "/?cols=" + ",".join(str(i) for i in range(50)),
    "/?after=AAAAAAAAAA",
    "/?before=MjAyNi0xMS0yOFQxMjowMDowMCswMDowMHxub3QtYS11dWlk",
    "/?workspace=%00",
    "/traces/a%00b/",
    "/charts/?by=metadata&by_key=%00",
    "/charts/?latency_min=1e309",
    "/export.csv?user=%00",
    "/metadata-keys/?q=%00",
]


@pytest.mark.parametrize("url", URLS)
def test_it_answers_hostile_input_without_a_server_error(web, api_key, post_logs, url):
    post_logs([chat("a")], key=api_key)
    response = web.get(url)
    assert response.status_code in (200, 400, 404), url


# (query, whether the one recent log matches): the calendar's ends, with offsets that push
# them past it or beyond what PostgreSQL accepts.
EXTREME_TIMES = [
    ("end=0001-01-01T00:00:00Z", False),
    ("start=0001-01-01T00:00:00%2B14:00", True),
    ("end=9999-12-31T23:59:59-14:00", True),
    ("end=9999-12-31T23:59:59.999999Z", True),
    ("start=2026-01-01T00:00:00-23:59", True),
]


@pytest.mark.parametrize("query,matches", EXTREME_TIMES)
@pytest.mark.parametrize("page", ["/", "/charts/", "/export.jsonl", "/export.csv"])
def test_it_reads_the_calendars_ends_as_bounds(web, api_key, post_logs, page, query, matches):
    [log_id] = post_logs([chat("a")], key=api_key)
    response = web.get(f"{page}?{query}")
    assert response.status_code == 200, (page, query)
    if page.startswith("/export"):
        assert (log_id in b"".join(response.streaming_content).decode()) is matches
    elif page == "/":
        assert (log_id in response.content.decode()) is matches
