"""On PostgreSQL, every filter of the agenda can be answered from an index: the page of
occurrences and its count never need a sequential scan of the occurrence table.

`enable_seqscan = off` makes the planner take an index wherever one can serve, so a plan that
still scans diary_occurrence sequentially means no index fits that query. `make bench` shows
the plans the planner picks on 100,000 events.
"""

import re

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from diary import runs
from diary.filters import AgendaFilter
from diary.models import Language, Occurrence
from tests.factories import CategoryFactory, EventFactory, TagFactory, VenueFactory, local

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="plans are PostgreSQL's; CI runs it there"
    ),
]

FILTERS = [
    "",
    "when=month",
    "start=2026-12-01&end=2026-12-31",
    "category=music",
    "tag=jazz",
    "venue=flagey",
    "area=ixelles",
    "q=jazz",
    "q=jazz+flagey",
    "free=true",
    "language=fr",
    "accessible=true",
    "family=true",
    "pick=true",
    "when=weekend&category=music&free=true",
]


@pytest.fixture
def agenda():
    music = CategoryFactory(slug="music", name="Music")
    flagey = VenueFactory(slug="flagey", name="Flagey", municipality__slug="ixelles")
    jazz = TagFactory(slug="jazz", name="Jazz")
    french = Language.objects.get(code="fr")
    for number in range(40):
        event = EventFactory(
            title=f"Jazz night {number}" if number % 5 == 0 else f"Talk {number}",
            category=music if number % 2 else None,
            venue=flagey if number % 7 == 0 else None,
            rrule="FREQ=DAILY;COUNT=20",
            is_free=number % 3 == 0,
            family_friendly=number % 4 == 0,
            is_pick=number % 6 == 0,
        )
        if number % 5 == 0:
            event.tags.add(jazz)
            event.languages.add(french)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SET LOCAL enable_seqscan = off")


def plans(query: str) -> list[str]:
    """EXPLAIN of the two queries a page of the agenda runs: its rows and its count."""
    qs = AgendaFilter(QueryDict(query), queryset=Occurrence.objects.public().for_listing()).qs
    with CaptureQueriesContext(connection) as captured:
        qs.count()
        list(qs[:20])
    explained = []
    for query in captured.captured_queries:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {query['sql']}")
            explained.append("\n".join(row[0] for row in cursor.fetchall()))
    return explained


@pytest.mark.parametrize("query", FILTERS)
def test_no_filter_scans_the_occurrence_table(agenda, query):
    for plan in plans(query):
        assert "Seq Scan on diary_occurrence" not in plan, plan


def test_the_agenda_reads_its_pages_and_counts_from_the_publication_indexes(agenda):
    count, page = plans("")
    assert "occurrence_public_end" in count
    assert "occurrence_public_start" in page


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("free=true", "event_free"),
        ("family=true", "event_family"),
        ("pick=true", "event_pick"),
        ("accessible=true", "event_venue_id"),
        ("category=music", "event_category_id"),
    ],
)
def test_a_flag_is_counted_from_a_narrow_index_of_the_events(agenda, query, index):
    """Counting a flag (or a category) joins every date still on to its event. Hashed, the
    join reads the events' narrow index, not their wide table: probing that once per date
    cost 250 ms at 100,000 events, where the planner now hashes the few ids it needs (35 ms);
    a category's ids read from its table took 8 ms, from the index 2.5."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_nestloop = off")
        # A table of 40 events is read as well through its primary key; a city's is not.
        cursor.execute("SET LOCAL enable_indexscan = off")
    count, _page = plans(query)
    assert re.search(rf"\b(using|on) {index}\b", count), count


@pytest.mark.parametrize("query", ["", "when=week", "when=month"])
def test_a_page_of_ids_is_read_from_the_start_index_alone(agenda, query):
    """The agenda asks for a page's ids first: the index holds them (INCLUDE id), so the
    dates that began before the window and are over (a year of them) are skipped in the
    index, without reading each row."""
    ids = AgendaFilter(QueryDict(query), queryset=Occurrence.objects.public().for_listing()).qs
    sql, params = ids.values_list("pk", flat=True)[:40].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using occurrence_public_start" in plan, plan


@pytest.mark.parametrize("query", ["", "when=week", "start=2026-12-01"])
def test_what_is_still_on_is_a_bounded_range_of_the_start_index(agenda, query):
    """Past dates are skipped by a lower bound on `start` (the longest a date lasts), not
    walked one by one: the page costs the same whatever the archive holds."""
    _count, page = plans(query)
    assert re.search(r"Index Cond: .*\bstart >= ", page), page


@pytest.mark.parametrize("query", ["", "when=weekend", "start=2026-12-01&end=2026-12-31"])
def test_the_runs_on_are_counted_by_category_from_their_index_alone(agenda, query):
    """The runs group counts a capital's runs (20,000 on at once at 100,000 events) by
    category: from the runs' index, which holds each date's event and category, without
    joining the events (39 ms at 100,000 events, 7.5 from the index alone)."""
    for number in range(10):
        EventFactory(start=local(2026, 11, 1 + number), end=local(2026, 12, 20), all_day=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    agenda = AgendaFilter(QueryDict(query), queryset=Occurrence.objects.public())
    assert agenda.is_valid()
    with CaptureQueriesContext(connection) as captured:
        runs.runs_now(agenda, shown=0)
    [count] = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {count['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # (At 100,000 events an index-only scan; ten rows may be read as a bitmap of it.)
    assert re.search(r"Scan (using|on) occurrence_public_runs", plan), plan
    assert "diary_event" not in plan, plan


def test_search_can_use_the_trigram_index(agenda):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off")  # a tiny table: any index would do
        # Nor probe each date's event by its key: with statistics left by earlier tests,
        # the planner may guess a handful of dates and prefer that to any index of words.
        cursor.execute("SET LOCAL enable_nestloop = off")
    count, _page = plans("q=jazz")
    assert "Bitmap Index Scan on event_search_text_trgm" in count, count


def test_connections_plan_for_ssds_and_whole_cursors():
    """Set by config/settings.py: index reads priced for SSDs, server-side cursors (feeds)
    planned for reading every row, no JIT compilation (it costs more than short queries)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
        cursor.execute("SHOW cursor_tuple_fraction")
        assert cursor.fetchone()[0] == "1"
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
