"""`make bench`: seed a throwaway SQLite diary and time the things that must stay fast.

Prints wall-clock times; compare them as ratios within one run (this machine is noisy).
Query counts are not measured here: the tests pin them.
Set BENCH_EVENTS (default 20000) to change the size.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
database = Path(tempfile.mkdtemp()) / "bench.sqlite3"
os.environ["DATABASE_URL"] = f"sqlite:///{database}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diary.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from diary.models import Event  # noqa: E402
from diary.services import occurrences_extend  # noqa: E402


def timed(label: str, function, repeat: int = 1) -> None:
    started = time.perf_counter()
    for _ in range(repeat):
        function()
    elapsed = (time.perf_counter() - started) / repeat
    print(f"{label:<52} {elapsed * 1000:10.1f} ms")


events = int(os.environ.get("BENCH_EVENTS", "20000"))
call_command("migrate", verbosity=0)
timed(f"seed_demo --events {events}", lambda: call_command("seed_demo", events=events, verbosity=0))
client = Client()
event = Event.objects.published().exclude(rrule="").first()
pages = {
    "agenda": "/",
    "agenda, filtered": "/?when=month&category=music&free=true&q=jazz",
    "agenda, page 5": "/?page=5",
    "month grid": "/month/",
    "event page": event.get_absolute_url(),
    "venue page": "/venues/bozar/",
    "iCal feed, one category": "/feeds/categories/market.ics",
}
for label, url in pages.items():
    assert client.get(url).status_code == 200, url
    timed(f"{label} (mean of 10)", lambda u=url: client.get(u), repeat=10)
timed("extend_occurrences", occurrences_extend)
database.unlink()
