"""In-process measurements for `make bench` (scripts/bench.py), one Django process each.

    DATABASE_URL=... python scripts/bench_probe.py feed PATH      time one feed, peak memory
                                                                  (BENCH_SAVE=FILE keeps it)
    DATABASE_URL=... python scripts/bench_probe.py queries PATH…  SQL queries per request
    DATABASE_URL=... python scripts/bench_probe.py explain        plans of the agenda filters
    DATABASE_URL=... python scripts/bench_probe.py sample         slugs for the URLs to load
    DATABASE_URL=... python scripts/bench_probe.py timing PATH…   median time per request
    DATABASE_URL=... python scripts/bench_probe.py sitemap        the sitemap's index and
                                                                  pages, cold and warm

Each prints one JSON document.
"""

import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
os.environ["DIARY_CACHE_RESPONSES"] = "0"

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from common.listing import IdsFirstPaginator  # noqa: E402
from diary.filters import AgendaFilter  # noqa: E402
from diary.models import Event, Occurrence  # noqa: E402
from diary.views import COUNT_UP_TO, PAGE_SIZE  # noqa: E402
from venues.models import Venue  # noqa: E402

FILTERS = [
    "",
    "when=month",
    "start=2027-01-01&end=2027-01-31",
    "category=music",
    "tag=music",
    "area=ixelles",
    "q=jazz",
    "free=true",
    "language=fr",
    "accessible=true",
    "family=true",
    "when=month&category=music&free=true",
]


def feed(path: str) -> dict:
    started = time.perf_counter()
    response = Client().get(path)
    size = events = 0
    target = os.environ.get("BENCH_SAVE") or os.devnull
    with open(target, "wb") as saved:
        for chunk in response.streaming_content if response.streaming else [response.content]:
            size += len(chunk)
            events += chunk.count(b"BEGIN:VEVENT")
            saved.write(chunk)
    return {
        "status": response.status_code,
        "events": events,
        "bytes": size,
        "seconds": time.perf_counter() - started,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def queries(*paths: str) -> dict:
    """Queries per request; "304:PATH" is a request from a client that holds PATH."""
    client, counts = Client(), {}
    for path in paths:
        url = path.removeprefix("304:")
        response = client.get(url)  # warm: sessions, content types, stored iCal text
        if response.streaming:
            b"".join(response.streaming_content)
        headers = {"If-None-Match": response["ETag"]} if path.startswith("304:") else {}
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, headers=headers)
            if response.streaming:
                b"".join(response.streaming_content)
        counts[path] = len(captured)
    return counts


def explain() -> dict:
    """For each filter, the SQL time of the agenda page's queries (its bounded count, its
    page of narrow rows, as diary.views.agenda asks them) and of the API's exact count, and
    whether any of them scans the occurrence table sequentially."""
    plans = {}
    for query in FILTERS:
        listed = AgendaFilter(QueryDict(query), queryset=Occurrence.objects.public().listed())
        paginator = IdsFirstPaginator(listed.qs, PAGE_SIZE, count_up_to=COUNT_UP_TO, narrow=True)
        with CaptureQueriesContext(connection) as page:
            len(paginator.get_page(1))
        api = AgendaFilter(QueryDict(query), queryset=Occurrence.objects.public().for_listing())
        with CaptureQueriesContext(connection) as count:
            api.qs.count()
        plans[query or "(none)"] = {
            "page": _explained(page.captured_queries),
            "count": _explained(count.captured_queries),
        }
    return plans


def _explained(queries: list[dict]) -> dict:
    milliseconds, sequential = 0.0, False
    for sql in queries:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql["sql"])
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        milliseconds += plan[0]["Execution Time"]
        sequential |= "diary_occurrence" in _seq_scanned(plan[0]["Plan"])
    return {"ms": milliseconds, "seq_scan": sequential}


def _seq_scanned(node: dict) -> set[str]:
    found = {node["Relation Name"]} if node["Node Type"] == "Seq Scan" else set()
    for child in node.get("Plans", []):
        found |= _seq_scanned(child)
    return found


def timing(*paths: str) -> dict:
    """The median milliseconds one request takes in this process (no server, no network),
    each path warmed first: what a page costs as the diary grows, without the load
    generator's noise."""
    client, medians = Client(), {}
    for path in paths:
        for _ in range(3):
            client.get(path)
        times = []
        for _ in range(15):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        medians[path] = sorted(times)[len(times) // 2]
    return medians


def sitemap() -> dict:
    """Each sitemap page (the index first): its size, its addresses, and the milliseconds of
    its first request for this data version (cold: rendered and stored) and the median of
    the next ones (warm: read back), gzipped as crawlers take it and plain."""
    from django.core.cache import cache

    client, pages, answers = Client(), ["/sitemap.xml"], {}
    cache.clear()
    while pages:
        path = pages.pop(0)
        started = time.perf_counter()
        response = client.get(path)
        cold = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (path, response.status_code)
        body = response.content.decode()
        if path == "/sitemap.xml":
            pages += [loc.split("testserver", 1)[1] for loc in body.split("<loc>")[1:]]
            pages = [page.split("</loc>")[0].replace("&amp;", "&") for page in pages]
        warm = {}
        for encoding in ("gzip", "identity"):
            times = []
            for _ in range(9):
                started = time.perf_counter()
                client.get(path, headers={"Accept-Encoding": encoding})
                times.append((time.perf_counter() - started) * 1000)
            warm[encoding] = round(sorted(times)[len(times) // 2], 1)
        answers[path] = {
            "addresses": body.count("<loc>"),
            "bytes": len(response.content),
            "cold_ms": round(cold, 1),
            "warm_gzip_ms": warm["gzip"],
            "warm_plain_ms": warm["identity"],
        }
    started = time.perf_counter()
    past = client.get(f"/sitemap-events.xml?p={len(answers) + 100}")
    answers["past the end"] = {
        "status": past.status_code,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }
    return answers


def sample() -> dict:
    event = Event.objects.published().exclude(rrule="").order_by("pk").first()
    venue = Venue.objects.annotate(n=Count("events")).order_by("-n", "pk").values("slug").first()
    return {
        "event": event.get_absolute_url(),
        "venue": venue["slug"],
        "events": Event.objects.count(),
        "occurrences": Occurrence.objects.count(),
    }


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    print(
        json.dumps(
            {
                "feed": feed,
                "queries": queries,
                "explain": explain,
                "sample": sample,
                "timing": timing,
                "sitemap": sitemap,
            }[command](*arguments)
        )
    )
