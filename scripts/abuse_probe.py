"""Measures what docs/security.md promises, on a production-like server on 127.0.0.1:

    .venv/bin/python scripts/abuse_probe.py

Starts gunicorn (DEBUG off, 2 sync workers) on a throwaway SQLite database, then
- posts four images at once, for each kind (ordinary ones, those at the caps, and the small
  hostile files of tests/hostile_images.py), to /submit/ and reads each worker's peak memory
  (VmHWM) before and after; the workers are restarted and warmed up before each kind;
- submits each pathological recurrence rule of docs/security.md (finding 2) through the
  organiser API and times the refusal.
Prints a Markdown table of each. Traffic goes to 127.0.0.1 only, a bounded number of requests.
"""

import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

import requests
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests import hostile_images  # noqa: E402

PYTHON = sys.executable
PORT = int(os.environ.get("PROBE_PORT", 8765))
BASE = f"http://127.0.0.1:{PORT}"
MINUTES = ",".join(str(minute) for minute in range(60))
RULES = [
    "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=DAILY;BYSETPOS=366",
    f"FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30;BYMINUTE={MINUTES}",
    f"FREQ=HOURLY;BYMINUTE={MINUTES}",
]


def image_bytes(kind: str) -> tuple[str, bytes]:
    out = BytesIO()
    if kind in HOSTILE:
        return kind, HOSTILE[kind]()
    if kind == "PNG 6300 × 6300 (the finding)":
        Image.new("RGB", (6300, 6300), "white").save(out, format="PNG")
    elif kind == "PNG 4000 × 4000 RGBA (the PNG cap)":
        Image.new("RGBA", (4000, 4000), (200, 40, 40, 128)).save(out, format="PNG")
    elif kind == "JPEG 7700 × 5100 (the JPEG cap)":
        Image.linear_gradient("L").resize((7700, 5100)).convert("RGB").save(out, "JPEG")
    else:
        Image.effect_noise((1600, 1200), 50).convert("RGB").save(out, "JPEG", quality=90)
    return kind, out.getvalue()


# Issue 29, finding 2: small files within those caps that cost a worker hundreds of MB.
HOSTILE = {
    "JPEG 7700 × 5100 CMYK, progressive": hostile_images.jpeg_cmyk_progressive,
    "JPEG 7700 × 5100 4:4:4, progressive": hostile_images.jpeg_444_progressive,
    "JPEG 7700 × 5100 in three scans": hostile_images.jpeg_in_three_scans,
    "WebP 4000 × 4000 lossless": hostile_images.webp_lossless,
    "WebP 4000 × 4000, 100 frames": hostile_images.webp_animated,
    "PNG 1 × 16,000,000": hostile_images.png_tall,
    "PNG 16,000,000 × 1 RGBA 16-bit": hostile_images.png_wide_16_bit,
}

# The largest of each costly kind that images.MEMORY_BUDGET still lets through (3:2).
AT_BUDGET = {
    "JPEG 4800 × 3200 progressive (the budget)": lambda: hostile_images.jpeg(
        (4800, 3200), progressive=True
    ),
    "JPEG 2700 × 1800 CMYK, progressive (the budget)": lambda: hostile_images.jpeg_cmyk_progressive(
        (2700, 1800)
    ),
    "PNG 3300 × 2200 RGBA (the budget)": lambda: hostile_images.png(3300, 2200, colour_type=6),
    "WebP 2400 × 1600 lossless (the budget)": lambda: hostile_images.webp_lossless((2400, 1600)),
}
HOSTILE |= AT_BUDGET

KINDS = [
    "JPEG 1600 × 1200 (a photo)",
    "JPEG 7700 × 5100 (the JPEG cap)",
    "PNG 4000 × 4000 RGBA (the PNG cap)",
    "PNG 6300 × 6300 (the finding)",
    *HOSTILE,
]


def _tiny() -> bytes:
    out = BytesIO()
    Image.new("RGB", (64, 48), "teal").save(out, "JPEG")
    return out.getvalue()


TINY = _tiny()


def peak_rss_mb(pids: list[int]) -> list[float]:
    peaks = []
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024)
    return peaks


def workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="abuse-probe-"))
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "MEDIA_ROOT": str(folder / "media"),
        "DIARY_SHARED_CACHE_DIR": str(folder / "cache"),
        "DIARY_SUBMIT_PER_HOUR": "1000",
        "API_THROTTLE_ORGANISER": "10000/minute",
        "REDIS_URL": "",
    }
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "collectstatic", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
    key = subprocess.run(
        [*manage, "shell", "-c", SETUP],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    server = subprocess.Popen(
        [
            *(str(Path(PYTHON).parent / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{PORT}"),
            *("--workers", "2", "--timeout", "60", "--log-level", "warning"),
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        for _ in range(100):
            try:
                requests.get(f"{BASE}/healthz", timeout=1)
                break
            except (requests.ConnectionError, requests.Timeout):  # still starting
                time.sleep(0.1)
        uploads(server.pid)
        rules(key)
    finally:
        server.terminate()
        server.wait(timeout=30)


SETUP = """
from diary.models import ApiToken, Organiser
organiser, _ = Organiser.objects.get_or_create(email="probe@example.org", defaults={"name": "P"})
print(ApiToken.objects.create(organiser=organiser).key)
"""


def one_upload(image: bytes) -> tuple[int, float]:
    session = requests.Session()
    page = session.get(f"{BASE}/submit/", timeout=30).text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    started = re.search(r'name="started" value="([^"]+)"', page).group(1)
    time.sleep(3.2)  # the form's minimum fill time
    begin = time.perf_counter()
    response = session.post(
        f"{BASE}/submit/",
        data={"csrfmiddlewaretoken": csrf, "started": started, "title": ""},  # invalid form
        files={"image": ("poster", image)},
        headers={"Referer": f"{BASE}/submit/"},
        timeout=60,
    )
    return response.status_code, time.perf_counter() - begin


def fresh_workers(master: int, old: list[int]) -> list[int]:
    """New workers (gunicorn restarts them on SIGHUP), each past its first request, so that
    each kind is measured from a worker's ordinary baseline, not from the last kind's peak."""
    if old:
        os.kill(master, signal.SIGHUP)
    for _ in range(300):
        pids = workers(master)
        if len(pids) == 2 and not set(pids) & set(old):
            break
        time.sleep(0.1)
    with ThreadPoolExecutor(4) as pool:  # warm both up with a small image
        list(pool.map(one_upload, [TINY] * 4))
    return pids


def uploads(master: int) -> None:
    print("| image (four at once) | file | answer | slowest | worker peak RSS before → after |")
    print("|---|---|---|---|---|")
    pids: list[int] = []
    for kind in KINDS:
        _, image = image_bytes(kind)
        pids = fresh_workers(master, pids)
        before = peak_rss_mb(pids)
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(one_upload, [image] * 4))
        after = peak_rss_mb(pids)
        codes = sorted({code for code, _ in results})
        slowest = max(seconds for _, seconds in results)
        memory = ", ".join(f"{b:.0f} → {a:.0f} MB" for b, a in zip(before, after, strict=True))
        print(f"| {kind} | {len(image) // 1024} KB | {codes} | {slowest:.2f} s | {memory} |")


def rules(key: str) -> None:
    print()
    print("| rule (organiser API, POST) | answer | time |")
    print("|---|---|---|")
    for rule in RULES:
        begin = time.perf_counter()
        response = requests.post(
            f"{BASE}/api/v1/events/",
            json={"title": "Probe", "start": "2026-12-05T10:00:00+01:00", "rrule": rule},
            headers={"Authorization": f"Token {key}"},
            timeout=120,
        )
        seconds = time.perf_counter() - begin
        shown = rule if len(rule) < 50 else rule[:47] + "…"
        print(f"| `{shown}` | {response.status_code} | {seconds * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
