"""Time one feed request, streamed to nowhere, and report the process's peak memory.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python scripts/bench_feed.py [PATH]

Run it twice to see a cold and a warm per-event cache (a shared cache needs REDIS_URL).
"""

import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diary.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from django.test import Client  # noqa: E402

path = sys.argv[1] if len(sys.argv) > 1 else "/feeds/events.ics"
started = time.perf_counter()
response = Client().get(path)
size = events = 0
for chunk in response.streaming_content if response.streaming else [response.content]:
    size += len(chunk)
    events += chunk.count(b"BEGIN:VEVENT")
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(
    f"{path}: {response.status_code}, {events} events, {size / 1e6:.1f} MB in {elapsed:.2f} s; "
    f"peak RSS {peak:.0f} MB"
)
