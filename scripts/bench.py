"""`make bench`: the agenda at city scale, on PostgreSQL and SQLite, behind a WSGI server.

1. Seeds three PostgreSQL databases with `seed_demo`: 1,000, 10,000 and 100,000 events (the
   last over 1,000 venues; the seeding renders every event's iCal text, in each language),
   and times the first whole feed after it.
2. Times the whole iCal feed cold (a fresh process, stored text) at 10,000 and 100,000 events,
   with its peak memory; counts SQL queries per request at 1,000 and 100,000 events; prints
   the plans of the agenda's filters at 100,000 events and at a million occurrences; times
   the agenda again after ten years of archive (10× the past dates); imports our own 10,000
   event feed into empty SQLite and PostgreSQL diaries, twice; times each page in one process
   at 1,000, 10,000 and 100,000 events.
3. Serves the 100,000-event diary with gunicorn and with granian (WSGI, same workers), loads
   both with wrk, and keeps the faster for the rest: every URL without the response cache and
   with it (Redis), as requests/s, p50, p99 and shares of /healthz and of a lean reference
   (scripts/bench_reference.py: the agenda's question in hand-written SQL); then the same
   pages on SQLite, the embedded default.
4. A soak at saturation (errors, memory per worker), then PostgreSQL stopped and started under
   load (503s, no hang, recovery without restarting the app).

Writes the results into docs/benchmarks.md (between the bench markers) with charts in
docs/benchmarks/ (matplotlib), and prints them.

Environment: BENCH_PG (server, default postgres://postgres@127.0.0.1:5432), BENCH_REDIS_URL
(default redis://127.0.0.1:6379/15), BENCH_SECONDS per URL (default 6), BENCH_CONNECTIONS
(default 8), BENCH_WORKERS (default: the CPU count), BENCH_SOAK_SECONDS (default 60),
BENCH_REUSE=1 keeps already seeded databases (migrated to the code's schema) and var/bench/,
BENCH_FAULT=0 skips stopping PostgreSQL. `scripts/bench.py charts` redraws the charts from
the last run's docs/benchmarks/results.json.
"""

import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
SECONDS = int(os.environ.get("BENCH_SECONDS", "6"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 2)))
SOAK_SECONDS = int(os.environ.get("BENCH_SOAK_SECONDS", "60"))
REUSE = os.environ.get("BENCH_REUSE") == "1"
FAULT = os.environ.get("BENCH_FAULT", "1") != "0"
SIZES = {"1k": (1_000, 100), "10k": (10_000, 300), "100k": (100_000, 1_000)}
report: list[str] = []
WORK = ROOT / "var" / "bench"  # the SQLite databases, our exported feed, seeding-*.txt


def say(line: str = "") -> None:
    print(line, flush=True)
    report.append(line)


def django_env(database: str, **extra) -> dict:
    """The app as `make serve` runs it, with the lean reference's URL (bench_settings), on a
    PostgreSQL database by name or on any database by URL."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "scripts"), str(ROOT)]),
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DATABASE_URL": database if "://" in database else f"{PG}/{database}",
        "API_THROTTLE_ANON": "100000000/minute",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": "",
    }
    env.update(extra)
    return env


def manage(database: str, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=django_env(database), check=True)


def probe(database: str, *args: str, **env: str) -> dict:
    output = subprocess.run(
        [PYTHON, "scripts/bench_probe.py", *args],
        cwd=ROOT,
        env=django_env(database, DEBUG="1", **env),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def psql(sql: str, database: str = "postgres") -> str:
    return subprocess.run(
        ["psql", f"{PG}/{database}", "-Atqc", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


def seeded(size: str) -> str:
    """The database for one size, seeded (and its iCal text rendered) unless reused."""
    database = f"agenda_bench_{size}"
    events, venues = SIZES[size]
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}'") == "1"
    remembered = WORK / f"seeding-{size}.txt"  # what a reused database's seeding took
    if REUSE and exists:
        if remembered.exists():
            say(remembered.read_text().rstrip() + " (an earlier run's seeding)")
        migrated(database)
        return database
    psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{database}"')
    manage(database, "migrate", "--no-input", "--verbosity", "0")
    started = time.perf_counter()
    manage(database, "seed_demo", "--events", str(events), "--venues", str(venues))
    seconds = time.perf_counter() - started
    first = probe(database, "feed", "/feeds/events.ics")
    whole = probe(database, "feed", "/feeds/events.ics", DIARY_FEED_MAX_BYTES="0")
    lines = (
        f"- seed_demo --events {events} --venues {venues}: {seconds:.1f} s\n"
        "- first subscription after seeding (the seeding rendered the nearest 3,000 "
        f"events' VEVENTs): {first['seconds']:.1f} s\n"
        "- then the first whole feed (it renders and stores the others' once): "
        f"{whole['seconds']:.1f} s"
    )
    say(lines)
    WORK.mkdir(parents=True, exist_ok=True)
    remembered.write_text(lines)
    psql("VACUUM ANALYZE", database)
    return database


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    postgres = psql("SHOW server_version")
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()}: {os.cpu_count()} cores, "
        f"{memory:.0f} GiB, {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}, PostgreSQL {postgres}, Redis on 127.0.0.1"
    )


# Serving and loading.


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command(server: str, port: int) -> list[str]:
    """As `make serve` runs them, without the access log."""
    if server == "gunicorn":
        return [
            str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}",
            "--workers", str(WORKERS), "--timeout", "30", "--graceful-timeout", "30",
        ]  # fmt: skip
    return [
        str(BIN / "granian"), "--interface", "wsgi", "config.wsgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS),
        "--blocking-threads", "1", "--no-ws", "--respawn-failed-workers",
        "--workers-kill-timeout", "30", "--log-level", "warning",
    ]  # fmt: skip


@contextmanager
def serving(server: str, database: str, *, cached: bool):
    port = free_port()
    env = django_env(
        database,
        DIARY_CACHE_RESPONSES="1" if cached else "0",
        REDIS_URL=REDIS_URL if cached else "",
        SITE_URL=f"http://127.0.0.1:{port}",
    )
    if cached:
        subprocess.run(["redis-cli", "-u", REDIS_URL, "FLUSHDB"], check=True, capture_output=True)
    # The server's log goes to a file: a pipe nobody reads fills up and blocks every worker
    # that logs (a database outage logs one line per request).
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            server_command(server, port), cwd=ROOT, env=env, start_new_session=True,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    if urllib.request.urlopen(f"{base}/healthz", timeout=2).status == 200:
                        break
                except (OSError, urllib.error.URLError):
                    time.sleep(0.2)
            else:
                log.seek(0)
                raise RuntimeError(f"{server} did not start: {log.read().decode()[-2000:]}")
            yield base, process
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wrk(url: str, *, seconds: int = SECONDS, headers=(), script: str | None = None) -> dict:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", script]
    output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout

    def duration(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": duration("50%"),
        "p99": duration("99%"),
        "errors": (int(bad.group(1)) if bad else 0),
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def warm(url: str, headers: dict | None = None) -> urllib.request.http.client.HTTPResponse:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        response = urllib.request.urlopen(request, timeout=120)
        response.read()
        return response
    except urllib.error.HTTPError as error:
        if error.code != 304:
            raise
        return error


def etag_of(url: str) -> str:
    return warm(url).headers["ETag"]


def errors(result: dict) -> str:
    """Error answers (not 2xx or 3xx), and socket errors when there were any."""
    sockets = result["socket_errors"]
    return f"{result['errors']}" + (f" (socket errors: {sockets})" if sockets else "")


def fmt_ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 1000 else f"{value / 1000:.2f} s"


# The run.


REFERENCE = "lean reference (hand-written SQL)"
REFERENCE_PATH = "/reference/"
PAGES = [  # the pages the targets of issue 17 name, without the response cache
    "agenda",
    "agenda, three filters",
    "month page",
    "event page",
    "API occurrences, filtered",
]
TARGETS = {
    "healthz": 0.10,  # a page's throughput as a share of /healthz
    "reference": 0.60,  # and of the lean reference
    "p99_ms": 100,
    "304": 0.50,  # a feed's 304 without the cache, as a share of /healthz
    "cached": 0.85,  # with the cache: no regression
    "sqlite_agenda": 0.05,  # SQLite: the agenda as a share of /healthz
    "sqlite_p50_ms": 50,
}


def urls(sample: dict) -> dict[str, str]:
    """What is loaded, by label; the event and the venue are the sampled database's own."""
    return {
        "`/healthz` (the ceiling)": "/healthz",
        REFERENCE: REFERENCE_PATH,
        "agenda": "/",
        "agenda, three filters": "/?when=month&category=music&free=true",
        "month page": "/month/",
        "event page": sample["event"],
        "API occurrences, filtered": "/api/v1/occurrences/?when=week&category=music",
        "feed, one venue": f"/feeds/venues/{sample['venue']}.ics",
        "feed, one category": "/feeds/categories/market.ics",
        "feed, one category, 304": "304:/feeds/categories/market.ics",
        "subscribe page, one category": "/subscribe/?category=music",
        "embedded agenda, one venue": f"/embed/?venue={sample['venue']}",
        # The nearest events that fit in DIARY_FEED_MAX_BYTES (the whole is 67 MB).
        "feed, everything": "/feeds/events.ics",
    }


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def main() -> None:
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    started = time.perf_counter()
    say(f"Measured {machine()}.")
    say(f"`make bench`, wrk -t2 -c{CONNECTIONS} -d{SECONDS}s per URL, {WORKERS} workers.")
    say()
    say("### Seeding")
    say()
    databases = {size: seeded(size) for size in SIZES}
    big = databases["100k"]
    sample = probe(big, "sample")
    say(f"- 100k database: {sample['events']:,} events, {sample['occurrences']:,} occurrences")
    manage(big, "collectstatic", "--no-input", "--verbosity", "0")

    say()
    say(
        "### Feed generation (whole `/feeds/events.ics` with `DIARY_FEED_MAX_BYTES=0`, fresh "
        "process, stored VEVENT text)"
    )
    say()
    say("| events in the feed | cold | size | peak RSS | target |")
    say("|---|---|---|---|---|")
    for size, (target_s, target_mb) in {"10k": (0.25, None), "100k": (2.5, 300)}.items():
        runs = [
            probe(databases[size], "feed", "/feeds/events.ics", DIARY_FEED_MAX_BYTES="0")
            for _ in range(3)
        ]
        run = sorted(runs, key=lambda r: r["seconds"])[1]  # the median of three
        met = run["seconds"] < target_s and (target_mb is None or run["peak_rss_mb"] < target_mb)
        target = f"< {target_s} s" + (f", < {target_mb} MB" if target_mb else "")
        say(
            f"| {run['events']:,} | {run['seconds']:.2f} s | {run['bytes'] / 1e6:.1f} MB "
            f"| {run['peak_rss_mb']:.0f} MB | {target}: {'met' if met else '**missed**'} |"
        )

    say()
    say("### Subscription feeds (the default `DIARY_FEED_MAX_BYTES`, 100k database)")
    say()
    say("| feed | events in the selection | events in the feed | size | cold |")
    say("|---|---|---|---|---|")
    for path in ("/feeds/events.ics", "/feeds/categories/music.ics"):
        whole = probe(big, "feed", path, DIARY_FEED_MAX_BYTES="0")
        runs = [probe(big, "feed", path) for _ in range(3)]
        run = sorted(runs, key=lambda r: r["seconds"])[1]
        say(
            f"| `{path}` | {whole['events']:,} ({whole['bytes'] / 1e6:.1f} MB) | "
            f"{run['events']:,} | {run['bytes'] / 1e3:.0f} KB | {run['seconds']:.2f} s |"
        )

    paths = urls(sample)
    say()
    say("### SQL queries per request (response cache off)")
    say()
    small = probe(databases["1k"], "queries", *urls(probe(databases["1k"], "sample")).values())
    large = probe(big, "queries", *paths.values())
    say("| URL | 1,000 events | 100,000 events |")
    say("|---|---|---|")
    for (label, path), small_count in zip(paths.items(), small.values(), strict=True):
        say(f"| {label} | {small_count} | {large[path]} |")

    million(big)
    archive(big)
    imports(databases["10k"])
    growth = grows(databases)

    say()
    say("### WSGI server: gunicorn (sync) against granian (WSGI), no response cache")
    say()
    compared = ["/healthz", "/", "/api/v1/occurrences/?when=week&category=music"]
    scores = {}
    say("| URL | gunicorn req/s | granian req/s |")
    say("|---|---|---|")
    results = {}
    for server in ("gunicorn", "granian"):
        with serving(server, big, cached=False) as (base, _):
            wrk(base + "/healthz", seconds=2)  # a fresh server's first second is slower
            for path in compared:
                warm(base + path)
                results[server, path] = wrk(base + path)
    for path in compared:
        say(
            f"| `{path}` | {results['gunicorn', path]['rps']:,.0f} "
            f"| {results['granian', path]['rps']:,.0f} |"
        )
    for server in ("gunicorn", "granian"):
        scores[server] = statistics.geometric_mean([results[server, p]["rps"] for p in compared])
    chosen = max(scores, key=scores.get)
    say()
    say(f"Faster: **{chosen}** ({scores[chosen] / min(scores.values()):.2f}× by geometric mean).")

    results = {
        mode: throughput(chosen, big, paths, large, cached=cached)
        for mode, cached in (("uncached", False), ("cached", True))
    }
    results["sqlite"] = sqlite(chosen)

    soak(chosen, big, paths)
    if FAULT:
        fault(chosen, big)
    RESULTS.write_text(json.dumps({"results": results, "growth": growth}, indent=1))
    charts(results, growth)
    say()
    say(f"`make bench` took {(time.perf_counter() - started) / 60:.1f} min.")
    write_report()


def copied(source: str, name: str, sql: str) -> str:
    """A database made from `source` (a template copy) and grown by `sql`, unless reused."""
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"
    if not (REUSE and exists):
        psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        psql(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        psql(sql, name)
        psql("VACUUM ANALYZE", name)
    else:
        migrated(name)
    return name


def migrated(database: str) -> None:
    """A reused database brought up to the code's schema (a new index, say), and analysed."""
    manage(database, "migrate", "--no-input", "--verbosity", "0")
    psql("ANALYZE", database)


OCCURRENCE_COLUMNS = 'event_id, start, "end", all_day, is_run, published'


def million(big: str) -> None:
    """The agenda's plans at 100,000 events and at about a million occurrences (every date
    of the 100k city five times over, minutes apart): each filter's rows and count."""
    database = copied(
        big,
        "agenda_bench_1m",
        f"INSERT INTO diary_occurrence ({OCCURRENCE_COLUMNS}) "
        f"SELECT event_id, start + k * interval '7 minutes', \"end\" + k * interval '7 minutes', "
        "all_day, is_run, published FROM diary_occurrence, generate_series(1, 4) AS k",
    )
    occurrences = int(psql("SELECT count(*) FROM diary_occurrence", database))
    say()
    say(
        "### Plans: the agenda page's queries (a count that stops at 1,000, a page of "
        "narrow rows) and the API's exact count, at 100,000 events "
        f"(196,601 occurrences) and at {occurrences:,} occurrences"
    )
    say()
    say("| filter | page, 100k | API count, 100k | page, 1M | API count, 1M |")
    say("|---|---|---|---|---|")
    small, large = probe(big, "explain"), probe(database, "explain")

    def cell(plan: dict) -> str:
        return f"{plan['ms']:.1f} ms" + (" (**sequential scan**)" if plan["seq_scan"] else "")

    for query, plan in small.items():
        say(
            f"| `{query}` | {cell(plan['page'])} | {cell(plan['count'])} "
            f"| {cell(large[query]['page'])} | {cell(large[query]['count'])} |"
        )


ARCHIVED = ["/", "/?when=week", "/api/v1/occurrences/?when=week&category=music", REFERENCE_PATH]


def archive(big: str) -> None:
    """The same city after one year and after ten: every past date (the seeded fortnight,
    end before now) copied back 1 or 1–9 years (52 weeks apart, so weekdays stay), the
    second with ten times the past occurrences of the first."""
    databases = {
        years: copied(
            big,
            f"agenda_bench_archive_{years}y",
            f"INSERT INTO diary_occurrence ({OCCURRENCE_COLUMNS}) "
            "SELECT event_id, start - k * interval '364 days', "
            "\"end\" - k * interval '364 days', all_day, is_run, published "
            f"FROM diary_occurrence, generate_series(1, {years - 1}) AS k "
            "WHERE \"end\" < now() AND start > now() - interval '1 year'",
        )
        for years in (2, 10)
    }
    past = {
        years: int(psql('SELECT count(*) FROM diary_occurrence WHERE "end" < now()', name))
        for years, name in databases.items()
    }
    say()
    say(
        f"### Archive growth: a year of past dates ({past[2]:,} past occurrences), then ten "
        f"years ({past[10]:,}); one process, median of 15 requests"
    )
    say()
    say("| URL | one year | ten years | change | target ± 10% |")
    say("|---|---|---|---|---|")
    year, decade = (probe(name, "timing", *ARCHIVED) for name in databases.values())
    for path in ARCHIVED:
        change = decade[path] / year[path] - 1
        say(
            f"| `{path}` | {year[path]:.1f} ms | {decade[path]:.1f} ms | {change:+.0%} "
            f"| {verdict(abs(change) <= 0.10)} |"
        )


def imports(source: str) -> None:
    """Our own 10,000-event feed, whole, imported by `import_ics` into an empty diary on
    SQLite and on PostgreSQL, then again (every event unchanged)."""
    WORK.mkdir(parents=True, exist_ok=True)
    feed = WORK / "city10k.ics"
    exported = probe(
        source, "feed", "/feeds/events.ics", DIARY_FEED_MAX_BYTES="0", BENCH_SAVE=str(feed)
    )
    say()
    say(
        f"### Import: our 10k feed ({exported['events']:,} VEVENTs, "
        f"{exported['bytes'] / 1e6:.1f} MB) by `import_ics` into an empty diary"
    )
    say()
    say("| database | first import | again (all unchanged) | target < 30 s |")
    say("|---|---|---|---|")
    sqlite = WORK / "import.sqlite3"
    for name, url in (("SQLite", f"sqlite:///{sqlite}"), ("PostgreSQL", "agenda_bench_import")):
        if name == "SQLite":
            sqlite.unlink(missing_ok=True)
        else:
            psql(f'DROP DATABASE IF EXISTS "{url}" WITH (FORCE)')
            psql(f'CREATE DATABASE "{url}"')
        manage(url, "migrate", "--no-input", "--verbosity", "0")
        times = []
        for _ in range(2):
            started = time.perf_counter()
            manage(url, "import_ics", str(feed), "--publish")
            times.append(time.perf_counter() - started)
        say(f"| {name} | {times[0]:.1f} s | {times[1]:.1f} s | {verdict(max(times) < 30)} |")


GROWN = {
    "`/healthz`": "/healthz",
    REFERENCE: REFERENCE_PATH,
    "agenda": "/",
    "agenda, three filters": "/?when=month&category=music&free=true",
    "month page": "/month/",
    "event page": None,  # the sampled database's own
    "API occurrences, filtered": "/api/v1/occurrences/?when=week&category=music",
}


def grows(databases: dict) -> dict:
    """What one request costs at 1,000, 10,000 and 100,000 events, in one process (median
    of 15 requests): the curve the charts draw."""
    say()
    say("### Cost as the diary grows (one process, no server, median of 15 requests)")
    say()
    say("| URL | " + " | ".join(f"{size} events" for size in databases) + " |")
    say("|---" * (len(databases) + 1) + "|")
    costs = {label: {} for label in GROWN}
    for size, database in databases.items():
        paths = {label: path or probe(database, "sample")["event"] for label, path in GROWN.items()}
        timed = probe(database, "timing", *paths.values())
        for label, path in paths.items():
            costs[label][size] = timed[path]
    for label, by_size in costs.items():
        say(f"| {label} | " + " | ".join(f"{ms:.1f} ms" for ms in by_size.values()) + " |")
    return costs


SQLITE_PATHS = [
    "`/healthz` (the ceiling)",
    REFERENCE,
    "agenda",
    "agenda, three filters",
    "month page",
    "event page",
    "API occurrences, filtered",
]


def sqlite(server: str) -> list[dict]:
    """The embedded default `make run` gives: the 100,000-event city on SQLite, served and
    loaded as on PostgreSQL, without the response cache."""
    path = WORK / "agenda_100k.sqlite3"
    url = f"sqlite:///{path}"
    say()
    say(f"### SQLite, 100,000 events, {server}, no response cache")
    say()
    remembered = WORK / "seeding-sqlite.txt"
    if REUSE and path.exists():
        if remembered.exists():
            say(remembered.read_text().rstrip() + " (an earlier run's seeding)")
            say()
        manage(url, "migrate", "--no-input", "--verbosity", "0")
    else:
        WORK.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        manage(url, "migrate", "--no-input", "--verbosity", "0")
        started = time.perf_counter()
        manage(url, "seed_demo", "--events", "100000", "--venues", "1000")
        remembered.write_text(f"Seeded in {time.perf_counter() - started:.1f} s.")
        say(remembered.read_text())
        say()
    sample = probe(url, "sample")
    paths = {label: path for label, path in urls(sample).items() if label in SQLITE_PATHS}
    queries = probe(url, "queries", *paths.values())

    def targets(row: dict) -> list[str]:
        verdicts = []
        if row["label"] == "agenda":
            verdicts.append(
                f"≥ {TARGETS['sqlite_agenda']:.0%} of /healthz: "
                + verdict(row["healthz"] >= TARGETS["sqlite_agenda"])
            )
        if row["label"] in PAGES:
            limit = TARGETS["sqlite_p50_ms"]
            verdicts.append(f"p50 < {limit} ms: {verdict(row['p50'] < limit)}")
        return verdicts

    return loaded_table(server, url, paths, queries, cached=False, targets=targets)


def load(base: str, paths: dict, *, cached: bool) -> list[dict]:
    """Each URL loaded by wrk after one warming request; `hit` when the cache answers it."""
    rows = []
    wrk(base + "/healthz", seconds=2)  # a fresh server's first second is slower
    for label, path in paths.items():
        if path.startswith("304:"):
            url = base + path.removeprefix("304:")
            headers = {"If-None-Match": etag_of(url)}
        else:
            url, headers = base + path, {}
        warmed = warm(url, headers)
        # A streamed feed (no Content-Length) is too large to store: only its 304 is a hit.
        # The lean reference is never cached: it is the uncached limit.
        hit = (
            cached
            and path != REFERENCE_PATH
            and (bool(headers) or "Content-Length" in warmed.headers)
        )
        loaded = wrk(url, headers=[f"{k}: {v}" for k, v in headers.items()])
        rows.append({"label": label, "path": path, "hit": hit} | loaded)
    return rows


def shares(rows: list[dict]) -> None:
    """Each row's throughput as a share of /healthz and of the lean reference (when loaded)."""
    ceiling = rows[0]["rps"]
    reference = next((row["rps"] for row in rows if row["label"] == REFERENCE), None)
    for row in rows:
        row["healthz"] = row["rps"] / ceiling
        row["reference"] = row["rps"] / reference if reference else None


def throughput(server: str, database: str, paths: dict, queries: dict, *, cached: bool):
    say()
    title = "response cache on (Redis)" if cached else "no response cache"
    say(f"### Throughput, {server}, {title}")
    say()

    def targets(row: dict) -> list[str]:
        if cached and row["path"] not in ("/healthz", REFERENCE_PATH):
            return [f"≥ {TARGETS['cached']:.0%}: {verdict(row['healthz'] >= TARGETS['cached'])}"]
        if row["label"] in PAGES:
            return [
                f"≥ {TARGETS['healthz']:.0%} of /healthz: "
                + verdict(row["healthz"] >= TARGETS["healthz"]),
                f"≥ {TARGETS['reference']:.0%} of the reference: "
                + verdict(row["reference"] >= TARGETS["reference"]),
                f"p99 < {TARGETS['p99_ms']} ms: {verdict(row['p99'] < TARGETS['p99_ms'])}",
            ]
        if row["path"].startswith("304:"):
            return [
                f"≥ {TARGETS['304']:.0%} of /healthz: {verdict(row['healthz'] >= TARGETS['304'])}"
            ]
        return []

    return loaded_table(server, database, paths, queries, cached=cached, targets=targets)


def loaded_table(
    server: str, database: str, paths: dict, queries: dict, *, cached: bool, targets
) -> list[dict]:
    """Every URL served and loaded, one table row each, with the `targets(row)` it meets or
    misses."""
    say(
        "| URL | req/s | p50 | p99 | SQL queries | errors | share of /healthz "
        "| share of the reference | targets |"
    )
    say("|---|---|---|---|---|---|---|---|---|")
    with serving(server, database, cached=cached) as (base, _):
        rows = load(base, paths, cached=cached)
    shares(rows)
    for row in rows:
        count = "0 (a hit)" if row["hit"] and row["path"] != "/healthz" else queries[row["path"]]
        say(
            f"| {row['label']} | {row['rps']:,.0f} | {fmt_ms(row['p50'])} "
            f"| {fmt_ms(row['p99'])} | {count} | {errors(row)} | {row['healthz']:.1%} "
            f"| {row['reference']:.0%} | {'; '.join(targets(row))} |"
        )
    return rows


def worker_rss(parent: int) -> dict[int, float]:
    """RSS in MB of every process under `parent` (the app server's workers)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            status = (entry / "status").read_text()
        except OSError:
            continue
        if int(stat[1]) == parent:
            found[int(entry.name)] = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
    return found


def soak(server: str, database: str, paths: dict) -> None:
    say()
    say(f"### Soak: {SOAK_SECONDS} s at saturation, {server}, response cache on, mixed URLs")
    say()
    mixed = [
        path
        for path in paths.values()
        if path != "/feeds/events.ics" and not path.startswith("304:")
    ]
    script = Path(tempfile.mkdtemp()) / "mixed.lua"
    script.write_text(
        "paths = {" + ", ".join(json.dumps(path) for path in mixed) + "}\n"
        "n = 0\nrequest = function()\n  n = n + 1\n"
        "  return wrk.format('GET', paths[(n % #paths) + 1])\nend\n"
    )
    with serving(server, database, cached=True) as (base, process):
        for path in mixed:
            warm(base + path)
        samples: list[tuple[float, dict[int, float]]] = []
        result = {}
        loader = threading.Thread(
            target=lambda: result.update(wrk(base + "/", seconds=SOAK_SECONDS, script=str(script)))
        )
        loader.start()
        begun = time.perf_counter()
        while loader.is_alive():
            loader.join(timeout=5)
            samples.append((time.perf_counter() - begun, worker_rss(process.pid)))
    say(
        f"{result['rps']:,.0f} requests/s, p50 {fmt_ms(result['p50'])}, p99 "
        f"{fmt_ms(result['p99'])}, errors: {errors(result)}."
    )
    say()
    workers = [pid for pid in samples[0][1] if pid in samples[-1][1]]
    shown = samples[:: max(1, len(samples) // 6)][:6] + samples[-1:]
    say("| RSS per worker | " + " | ".join(f"{at:.0f} s" for at, _ in shown) + " |")
    say("|---" * (len(shown) + 1) + "|")
    for number, pid in enumerate(workers, 1):
        say(
            f"| worker {number} | "
            + " | ".join(f"{rss.get(pid, 0):.0f} MB" for _, rss in shown)
            + " |"
        )
    # A worker's RSS swings by the size of the answers it holds (a category feed is 5 MB):
    # growth is its peak in the second half of the soak against its peak in the first.
    half = len(samples) // 2
    growth = max(
        (
            max(rss.get(pid, 0) for _, rss in samples[half:])
            - max(rss.get(pid, 0) for _, rss in samples[:half])
            for pid in workers
        ),
        default=0,
    )
    say()
    say(
        f"Largest growth of a worker's peak RSS, second half of the soak against the first: "
        f"{growth:+.1f} MB."
    )


def fault(server: str, database: str) -> None:
    """PostgreSQL stopped for 5 s under load: every answer is quick (200 or 503), none hangs,
    and the same app server answers 200 again once PostgreSQL is back."""
    say()
    say(f"### PostgreSQL stopped for 5 s under load ({server}, no response cache)")
    say()
    clusters = sorted(path.name for path in Path("/etc/postgresql").glob("*"))
    if not shutil.which("pg_ctlcluster") or not clusters:
        say("Skipped: pg_ctlcluster is not on this machine.")
        return
    control = ["pg_ctlcluster", "--skip-systemctl-redirect", clusters[-1], "main"]
    log: list[tuple[float, int, float]] = []
    with serving(server, database, cached=False) as (base, _):
        url = base + "/api/v1/occurrences/?when=week"
        stop = threading.Event()

        def client():
            while not stop.is_set():
                begun = time.perf_counter()
                try:
                    status = urllib.request.urlopen(url, timeout=30).status
                except urllib.error.HTTPError as error:
                    status = error.code
                except OSError:
                    status = 0
                log.append((begun, status, time.perf_counter() - begun))

        threads = [threading.Thread(target=client) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(3)
        down = time.perf_counter()
        subprocess.run([*control, "stop", "--", "-m", "fast"], check=True)
        time.sleep(5)
        subprocess.run([*control, "start"], check=True)
        up = time.perf_counter()
        time.sleep(5)
        stop.set()
        for thread in threads:
            thread.join()
    during = [entry for entry in log if down <= entry[0] < up]
    after = [entry for entry in log if entry[0] >= up]
    recovered = next((entry[0] - up for entry in after if entry[1] == 200), None)
    statuses = {}
    for _, status, _ in during:
        statuses[status] = statuses.get(status, 0) + 1
    say(
        f"While it was down: {len(during)} requests, by status {dict(sorted(statuses.items()))}, "
        f"slowest {max((entry[2] for entry in during), default=0) * 1000:.0f} ms."
    )
    say(
        "After it started again: "
        + (f"the first 200 came {recovered:.2f} s later" if recovered is not None else "**no 200**")
        + f"; {sum(1 for entry in after if entry[1] == 200)} of {len(after)} answers were 200."
    )


# Charts: drawn headless (matplotlib's Agg) into docs/, where benchmarks.md and the README
# show them.

CHARTS = ROOT / "docs" / "benchmarks"
RESULTS = CHARTS / "results.json"  # the run's numbers: `scripts/bench.py charts` redraws


def charts(results: dict, growth: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    CHARTS.mkdir(exist_ok=True)
    pyplot.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False})
    say()
    say("### Charts")
    say()
    for name, title, draw in (
        ("throughput", "Throughput as a share of /healthz and of the lean reference", _shares),
        ("latency", "Latency without the response cache, PostgreSQL and SQLite", _latency),
        ("growth", "What one request costs as the diary grows", _growth),
    ):
        figure = draw(pyplot, results, growth)
        figure.savefig(CHARTS / f"{name}.png", dpi=110, bbox_inches="tight")
        pyplot.close(figure)
        say(f"![{title}](benchmarks/{name}.png)")
        say()


def _bars(axes, labels: list[str], series: dict, target: float, note: str) -> None:
    height = 0.8 / len(series)
    for number, (name, values) in enumerate(series.items()):
        positions = [index + number * height for index in range(len(labels))]
        axes.barh(positions, [value * 100 for value in values], height, label=name)
    axes.set_yticks([index + height * (len(series) - 1) / 2 for index in range(len(labels))])
    axes.set_yticklabels(labels)
    axes.set_xscale("log")
    axes.axvline(target * 100, color="black", linestyle="--", linewidth=1, label=note)
    axes.set_xlabel("% (log scale)")
    axes.legend(loc="lower right", fontsize=8)


def _shares(pyplot, results: dict, growth: dict):
    uncached = [row for row in results["uncached"] if row["path"] != "/healthz"]
    cached = {row["label"]: row for row in results["cached"]}
    labels = [row["label"].replace(" (hand-written SQL)", "") for row in uncached]
    figure, (left, right) = pyplot.subplots(
        1, 2, figsize=(12, 6), sharey=True, gridspec_kw={"wspace": 0.05}
    )
    _bars(
        left,
        labels,
        {
            "no response cache": [row["healthz"] for row in uncached],
            "response cache on": [cached[row["label"]]["healthz"] for row in uncached],
        },
        TARGETS["healthz"],
        "target for pages, uncached: 10%",
    )
    left.invert_yaxis()  # the first URL on top (the axes are shared: once)
    left.set_title("Share of /healthz (PostgreSQL, 100,000 events)")
    _bars(
        right,
        labels,
        {"no response cache": [row["reference"] for row in uncached]},
        TARGETS["reference"],
        "target: 60%",
    )
    right.set_title("Share of the lean reference (uncached)")
    return figure


def _latency(pyplot, results: dict, growth: dict):
    figure, axes = pyplot.subplots(figsize=(9, 5))
    sqlite = {row["label"]: row for row in results["sqlite"]}
    rows = [row for row in results["uncached"] if row["label"] in sqlite]
    labels = [row["label"].replace(" (hand-written SQL)", "").replace("`", "") for row in rows]
    series = {
        "PostgreSQL p50": [row["p50"] for row in rows],
        "PostgreSQL p99": [row["p99"] for row in rows],
        "SQLite p50": [sqlite[row["label"]]["p50"] for row in rows],
        "SQLite p99": [sqlite[row["label"]]["p99"] for row in rows],
    }
    height = 0.8 / len(series)
    for number, (name, values) in enumerate(series.items()):
        axes.barh([i + number * height for i in range(len(rows))], values, height, label=name)
    axes.set_yticks([i + 0.4 - height / 2 for i in range(len(rows))])
    axes.set_yticklabels(labels)
    axes.invert_yaxis()
    axes.set_xscale("log")
    axes.axvline(TARGETS["p99_ms"], color="black", linestyle="--", linewidth=1)
    axes.set_xlabel("milliseconds (log scale), 8 connections, 2 workers; dashed: 100 ms")
    axes.legend(fontsize=8)
    axes.set_title("Latency without the response cache, 100,000 events")
    return figure


def _growth(pyplot, results: dict, growth: dict):
    figure, axes = pyplot.subplots(figsize=(8, 5))
    for label, by_size in growth.items():
        sizes = [SIZES[size][0] for size in by_size]
        axes.plot(sizes, list(by_size.values()), marker="o", label=label.replace("`", ""))
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("events in the diary (log scale)")
    axes.set_ylabel("milliseconds per request, one process (log scale)")
    axes.legend(fontsize=8)
    axes.set_title("What one request costs as the diary grows (PostgreSQL)")
    return figure


def write_report() -> None:
    page = ROOT / "docs" / "benchmarks.md"
    text = page.read_text()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    generated = f"{start}\n" + "\n".join(report) + f"\n{end}"
    if start in text:
        text = text[: text.index(start)] + generated + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + generated + "\n"
    page.write_text(text)
    print(f"\nWritten to {page.relative_to(ROOT)}.")


if __name__ == "__main__":
    if sys.argv[1:] == ["charts"]:
        saved = json.loads(RESULTS.read_text())
        charts(saved["results"], saved["growth"])
    else:
        main()
