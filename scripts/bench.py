"""`make bench`: seed a throwaway SQLite diary and time the things that must stay fast.

Prints wall-clock times; compare them as ratios within one run (this machine is noisy).
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
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from diary.services import occurrences_extend  # noqa: E402


def timed(label: str, function, repeat: int = 1) -> None:
    started = time.perf_counter()
    for _ in range(repeat):
        function()
    elapsed = (time.perf_counter() - started) / repeat
    print(f"{label:<40} {elapsed * 1000:10.1f} ms")


events = int(os.environ.get("BENCH_EVENTS", "20000"))
call_command("migrate", verbosity=0)
timed(f"seed_demo --events {events}", lambda: call_command("seed_demo", events=events, verbosity=0))
client = Client()
with CaptureQueriesContext(connection) as queries:
    client.get("/")
print(f"{'home page queries':<40} {len(queries):10d}")
reset_queries()
timed("home page (mean of 20)", lambda: client.get("/"), repeat=20)
timed("extend_occurrences", occurrences_extend)
database.unlink()
