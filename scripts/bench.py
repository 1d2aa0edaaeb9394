"""`make bench`: the agenda at city scale, on PostgreSQL, behind a WSGI server, under load.

1. Seeds three PostgreSQL databases with `seed_demo`: 1,000, 10,000 and 100,000 events (the
   last over 1,000 venues), and renders every event's stored iCal text once.
2. Times the whole iCal feed cold (a fresh process, stored text) at 10,000 and 100,000 events,
   with its peak memory; counts SQL queries per request at 1,000 and 100,000 events; prints
   the plans of the agenda's filters on 100,000 events.
3. Serves the 100,000-event diary with gunicorn and with granian (WSGI, same workers), loads
   both with wrk, and keeps the faster for the rest: every URL without the response cache and
   with it (Redis), as requests/s, p50, p99 and a ratio to /healthz.
4. A soak at saturation (errors, memory per worker), then PostgreSQL stopped and started under
   load (503s, no hang, recovery without restarting the app).

Writes the results into docs/benchmarks.md (between the bench markers) and prints them.

Environment: BENCH_PG (server, default postgres://postgres@127.0.0.1:5432), BENCH_REDIS_URL
(default redis://127.0.0.1:6379/15), BENCH_SECONDS per URL (default 6), BENCH_CONNECTIONS
(default 8), BENCH_WORKERS (default: the CPU count), BENCH_SOAK_SECONDS (default 60),
BENCH_REUSE=1 keeps already seeded databases, BENCH_FAULT=0 skips stopping PostgreSQL.
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
TARGETS = {"uncached": 0.40, "cached": 0.85}
report: list[str] = []


def say(line: str = "") -> None:
    print(line, flush=True)
    report.append(line)


def django_env(database: str, **extra) -> dict:
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DATABASE_URL": f"{PG}/{database}",
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
    if REUSE and exists:
        return database
    psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{database}"')
    manage(database, "migrate", "--no-input", "--verbosity", "0")
    started = time.perf_counter()
    manage(database, "seed_demo", "--events", str(events), "--venues", str(venues))
    say(f"- seed_demo --events {events} --venues {venues}: {time.perf_counter() - started:.1f} s")
    first = probe(database, "feed", "/feeds/events.ics", DIARY_FEED_MAX_BYTES="0")
    say(
        "- first whole feed after seeding (renders and stores every VEVENT): "
        f"{first['seconds']:.1f} s"
    )
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
            str(BIN / "gunicorn"), "diary.wsgi", "--bind", f"127.0.0.1:{port}",
            "--workers", str(WORKERS), "--timeout", "30", "--graceful-timeout", "30",
        ]  # fmt: skip
    return [
        str(BIN / "granian"), "--interface", "wsgi", "diary.wsgi:application",
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


def urls(sample: dict) -> dict[str, str]:
    """What is loaded, by label; the event and the venue are the sampled database's own."""
    return {
        "`/healthz` (the ceiling)": "/healthz",
        "agenda": "/",
        "agenda, three filters": "/?when=month&category=music&free=true",
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

    say()
    say("### Plans on 100,000 events: a page of the agenda (its rows and its count)")
    say()
    say("| filter | SQL time | sequential scan of occurrences |")
    say("|---|---|---|")
    for query, plan in probe(big, "explain").items():
        say(
            f"| `{query}` | {plan['ms']:.1f} ms "
            f"| {'yes (the count)' if plan['seq_scan'] else 'no'} |"
        )

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

    for mode, cached in (("uncached", False), ("cached", True)):
        throughput(chosen, big, paths, large, mode, cached=cached)

    soak(chosen, big, paths)
    if FAULT:
        fault(chosen, big)
    say()
    say(f"`make bench` took {(time.perf_counter() - started) / 60:.1f} min.")
    write_report()


def throughput(server: str, database: str, paths: dict, queries: dict, mode: str, *, cached: bool):
    say()
    title = "response cache on (Redis)" if cached else "no response cache"
    say(f"### Throughput, {server}, {title}")
    say()
    say("| URL | req/s | p50 | p99 | SQL queries | errors | ratio to /healthz | targets |")
    say("|---|---|---|---|---|---|---|---|")
    rows = []
    with serving(server, database, cached=cached) as (base, _):
        wrk(base + "/healthz", seconds=2)  # a fresh server's first second is slower
        for label, path in paths.items():
            if path.startswith("304:"):
                url = base + path.removeprefix("304:")
                headers = {"If-None-Match": etag_of(url)}
            else:
                url, headers = base + path, {}
            warmed = warm(url, headers)
            # A streamed feed (no Content-Length) is too large to store: only its 304 is a hit.
            hit = cached and (bool(headers) or "Content-Length" in warmed.headers)
            loaded = wrk(url, headers=[f"{k}: {v}" for k, v in headers.items()])
            rows.append((label, path, loaded | {"hit": hit}))
    ceiling = rows[0][2]
    for label, path, result in rows:
        ratio = result["rps"] / ceiling["rps"]
        verdicts = []
        if path != "/healthz":
            target = TARGETS["cached" if cached or path.startswith("304:") else mode]
            verdicts.append(f"≥ {target:.0%}: {'met' if ratio >= target else '**missed**'}")
            if ceiling["p99"] < 20:
                verdicts.append(f"p99 < 100 ms: {'met' if result['p99'] < 100 else '**missed**'}")
        count = "0 (a hit)" if result["hit"] and path != "/healthz" else queries[path]
        say(
            f"| {label} | {result['rps']:,.0f} | {fmt_ms(result['p50'])} "
            f"| {fmt_ms(result['p99'])} | {count} | {errors(result)} "
            f"| {ratio:.2f} | {'; '.join(verdicts)} |"
        )


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
    main()
