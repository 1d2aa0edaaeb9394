"""Findings 3, 7 and 14 of issue 29 (docs/security.md), as the attacker tried them, refused.

Of 14, the throttle race and the unlimited date preview; the rest of 14 is tested elsewhere.
"""

import multiprocessing
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from types import SimpleNamespace

import pytest
import redis
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from diary import services, spam
from diary.api.access import AnonymousRateThrottle
from diary.clients import window_count, window_counted
from diary.models import Change, Event
from tests.diary.test_letters import ask
from tests.factories import CategoryFactory, EventFactory, form_data

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def shared_redis(settings):
    """The shared cache in Redis (database 14, emptied), as with REDIS_URL; skipped where no
    server runs, except in CI."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("no Redis server on 127.0.0.1:6379")
    shared = {"BACKEND": "diary.redis_cache.RedisCache", "LOCATION": REDIS_URL}
    with override_settings(CACHES={**settings.CACHES, "shared": shared}):
        caches["shared"].clear()
        yield caches["shared"]
        caches["shared"].clear()


# 3. Hourly limits last five minutes without Redis


def later(time_machine, start, minutes: int) -> None:
    time_machine.move_to(start + timedelta(minutes=minutes), tick=False)


def test_three_confirmation_mails_an_hour_stay_three_after_five_minutes(
    client, mailoutbox, time_machine
):
    CategoryFactory(slug="music", name="Music")
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    for _ in range(3):
        ask(client, email="target@example.org")
    assert len(mailoutbox) == 3
    for minutes in (10, 30, 59):
        later(time_machine, start, minutes)
        assert ask(client, email="target@example.org").status_code == 200
        assert len(mailoutbox) == 3, f"a fourth mail {minutes} minutes after the first"
    later(time_machine, start, 61)
    ask(client, email="target@example.org")
    assert len(mailoutbox) == 4


def test_the_submission_limit_per_address_lasts_the_hour(client, settings, time_machine):
    settings.DIARY_SUBMIT_PER_HOUR = 2
    start = timezone.now()
    time_machine.move_to(start, tick=False)

    tokens = []
    for n in range(6):  # forms opened a little before, one token each
        time_machine.move_to(start - timedelta(seconds=10 + n), tick=False)
        tokens.append(spam.started_token())
    time_machine.move_to(start, tick=False)

    def sent(n: int) -> int:
        data = form_data(organiser_email=f"o{n}@example.org", started=tokens[n])
        return client.post("/submit/", data).status_code

    assert [sent(0), sent(1)] == [302, 302]
    for n, minutes in enumerate((10, 30, 59), start=2):
        later(time_machine, start, minutes)
        assert sent(n) == 400, f"a third submission {minutes} minutes after the first"
    later(time_machine, start, 61)
    assert sent(5) == 302
    assert Event.objects.count() == 3


@pytest.mark.parametrize("prefix", ["letter:ip", "letter:email", "submit:uploads", "preview:ip"])
def test_every_hourly_counter_keeps_its_hour(prefix, time_machine):
    """Every caller of spam.count_this_hour: the counts go on for the hour, then start over."""
    key = f"{prefix}:198.51.100.7"
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    assert [spam.count_this_hour(key) for _ in range(3)] == [1, 2, 3]
    for expected, minutes in enumerate((10, 30, 59), start=4):
        later(time_machine, start, minutes)
        assert spam.count_this_hour(key) == expected
    later(time_machine, start, 61)
    assert spam.count_this_hour(key) == 1


def small_shared_cache(path) -> dict:
    """The file cache the workers share without Redis, as settings make it, but full at 60
    entries (settings: 10,000), so that a test can flood it."""
    return {
        "BACKEND": "diary.file_cache.CountersFileBasedCache",
        "LOCATION": str(path),
        "OPTIONS": {"MAX_ENTRIES": 60},
    }


def test_a_flood_from_many_addresses_culls_no_live_counter(settings, tmp_path, time_machine):
    """Django's file cache, once full, deleted a third of its entries at random: the API's
    throttle leaves a counter per client address, so requests from many addresses (cheap
    with IPv6) culled the hourly counters with them, and the limit began again."""
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    with override_settings(CACHES={**settings.CACHES, "shared": small_shared_cache(tmp_path)}):
        assert [spam.count_this_hour("letter:email:someone") for _ in range(4)] == [1, 2, 3, 4]
        for n in range(1500):  # 50 minutes of the throttle's minute counters, 30 at a time
            window_count(f"throttle:anon:2001:db8::{n:x}", seconds=60)
            time_machine.shift(timedelta(seconds=2))
            assert len(list(tmp_path.glob("*.djcache"))) <= 60
        assert spam.count_this_hour("letter:email:someone") == 5


def test_a_cache_full_of_live_counters_stays_within_its_bound(settings, tmp_path, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    with override_settings(CACHES={**settings.CACHES, "shared": small_shared_cache(tmp_path)}):
        for n in range(300):
            window_count(f"throttle:anon:2001:db8::{n:x}", seconds=60)
            assert len(list(tmp_path.glob("*.djcache"))) <= 60
        # A cull leaves two thirds of the entries: the next one is 20 writes away.
        assert len(list(tmp_path.glob("*.djcache"))) >= 40


def test_an_unreadable_entry_never_fails_a_write(settings, tmp_path, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    with override_settings(CACHES={**settings.CACHES, "shared": small_shared_cache(tmp_path)}):
        window_count("throttle:anon:2001:db8::1", seconds=60)
        (tmp_path / "not-an-entry.djcache").write_bytes(b"not a pickle")
        for n in range(200):
            window_count(f"throttle:anon:2001:db8::{n:x}", seconds=60)
        assert len(list(tmp_path.glob("*.djcache"))) <= 60


def test_one_worker_culls_at_a_time(settings, tmp_path, time_machine):
    """Two workers culling at once each deleted their share of live entries: two thirds of
    the live entries went instead of one third."""
    import fcntl

    time_machine.move_to(timezone.now(), tick=False)
    with override_settings(CACHES={**settings.CACHES, "shared": small_shared_cache(tmp_path)}):
        for n in range(59):
            window_count(f"throttle:anon:2001:db8::{n:x}", seconds=60)
        with open(tmp_path / "cull.lock", "ab") as lock:  # another worker is culling
            fcntl.flock(lock, fcntl.LOCK_EX)
            for n in range(59, 65):
                window_count(f"throttle:anon:2001:db8::{n:x}", seconds=60)
            assert len(list(tmp_path.glob("*.djcache"))) == 65
        window_count("throttle:anon:2001:db8::ffff", seconds=60)
        assert 40 <= len(list(tmp_path.glob("*.djcache"))) <= 41


def test_in_redis_a_counter_keeps_the_expiry_of_its_first_hit(shared_redis, time_machine):
    """Redis keeps its own clock: the key's time to live is set once, at the first hit, and
    counting never renews or drops it."""
    client = shared_redis._cache.get_client(write=True)
    name = shared_redis.make_and_validate_key("letter:ip:198.51.100.7")
    first = window_count("letter:ip:198.51.100.7", seconds=3600)
    assert first.count == 1
    assert 3590_000 < client.pttl(name) <= 3600_000
    client.pexpire(name, 1_800_000)  # as if half the hour had gone
    assert [spam.count_this_hour("letter:ip:198.51.100.7") for _ in range(3)] == [2, 3, 4]
    assert 1_790_000 < client.pttl(name) <= 1_800_000
    assert window_counted("letter:ip:198.51.100.7") == 4
    client.delete(name)  # the hour is over
    assert spam.count_this_hour("letter:ip:198.51.100.7") == 1
    client.set(name, 7)  # left without an expiry by the old add-then-incr's race
    assert spam.count_this_hour("letter:ip:198.51.100.7") == 8
    assert 3590_000 < client.pttl(name) <= 3600_000


def _hits(key: str, times: int) -> list[int]:
    return [window_count(key, seconds=3600).count for _ in range(times)]


def _count_from_processes(key: str, processes: int, times: int) -> list[int]:
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        counts = pool.starmap(_hits, [(key, times)] * processes)
    return sorted(count for each in counts for count in each)


def test_workers_counting_at_once_lose_no_hit():
    """Four worker processes count 50 hits each against one key: every hit gets a count of its
    own, 1 to 200 (the file cache's incr read and wrote back: two workers both wrote 5)."""
    assert _count_from_processes("submit:ip:198.51.100.9", 4, 50) == list(range(1, 201))
    assert window_counted("submit:ip:198.51.100.9") == 200


def test_threads_counting_at_once_lose_no_hit():
    """Each count opens the lock file anew, so threads of one worker exclude each other too."""
    with ThreadPoolExecutor(4) as pool:
        counts = pool.map(_hits, ["submit:ip:198.51.100.10"] * 4, [50] * 4)
    assert sorted(count for each in counts for count in each) == list(range(1, 201))


def test_in_redis_workers_counting_at_once_lose_no_hit(shared_redis):
    assert _count_from_processes("submit:ip:198.51.100.9", 4, 50) == list(range(1, 201))


# 14. The API throttle lets 123-128 of 130 through a limit of 120 under concurrency


def _throttled(times: int) -> int:
    request = SimpleNamespace(user=AnonymousUser(), META={"REMOTE_ADDR": "203.0.113.5"})
    return sum(AnonymousRateThrottle().allow_request(request, None) for _ in range(times))


def test_the_api_throttle_lets_exactly_its_limit_through_under_concurrency(
    monkeypatch, still_clock
):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "120/minute"})
    with multiprocessing.get_context("fork").Pool(5) as pool:
        allowed = pool.map(_throttled, [26] * 5)
    assert sum(allowed) == 120


def test_the_api_throttle_opens_again_when_its_minute_is_over(monkeypatch, time_machine):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    request = SimpleNamespace(user=AnonymousUser(), META={"REMOTE_ADDR": "203.0.113.6"})
    throttle = AnonymousRateThrottle()
    assert [throttle.allow_request(request, None) for _ in range(4)] == [True] * 3 + [False]
    assert 0 < throttle.wait() <= 60
    time_machine.move_to(start + timedelta(seconds=59), tick=False)
    assert not throttle.allow_request(request, None)
    time_machine.move_to(start + timedelta(seconds=61), tick=False)
    assert throttle.allow_request(request, None)


# 7. The manage link toggles cancel/reinstate without limit


def manage_path(event, *, proven: bool = False) -> str:
    return reverse("diary:submission-manage", args=[services.manage_token(event, proven=proven)])


def toggle(client, path: str, n: int):
    if n % 2 == 0:
        return client.post(path, {"action": "cancel", "confirmed": "yes"}, follow=True)
    return client.post(path, {"action": "reinstate"}, follow=True)


def test_62_toggles_through_the_manage_link_make_a_bounded_number_of_changes(
    client, settings, still_clock
):
    settings.DIARY_MANAGE_STATUS_PER_HOUR = 4
    event = EventFactory()
    path = manage_path(event)
    rows, sequence = Change.objects.count(), event.sequence
    codes = {toggle(client, path, n).status_code for n in range(62)}
    assert codes == {200}
    event.refresh_from_db()
    assert Change.objects.count() - rows == 4
    assert event.sequence - sequence == 2  # two quick undos shared their change's number
    assert event.status == Event.Status.SCHEDULED  # cancel, undo, cancel, undo, then refused


def test_a_refused_toggle_says_why_in_the_page(client, settings, still_clock):
    settings.DIARY_MANAGE_STATUS_PER_HOUR = 1
    event = EventFactory()
    path = manage_path(event)
    toggle(client, path, 0)
    response = toggle(client, path, 1)
    assert response.status_code == 200
    assert "too often this hour; try again later" in response.content.decode()
    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED


def test_the_manage_links_changes_come_back_after_the_hour(settings, time_machine):
    settings.DIARY_MANAGE_STATUS_PER_HOUR = 2
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    event = EventFactory()
    services.event_status_by_link(event=event, cancelled=True)
    services.event_status_by_link(event=event, cancelled=False)
    for minutes in (10, 30, 59):
        later(time_machine, start, minutes)
        with pytest.raises(services.StatusChangesSpent):
            services.event_status_by_link(event=event, cancelled=True)
    later(time_machine, start, 61)
    assert services.event_status_by_link(event=event, cancelled=True).status == "cancelled"


def test_a_quick_undo_does_not_raise_the_sequence_twice(time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    event = EventFactory()
    sequence = event.sequence
    services.event_status_by_link(event=event, cancelled=True)
    assert event.sequence == sequence + 1
    cancelled_stamp = Event.objects.get(pk=event.pk).modified
    later(time_machine, start, 5)
    services.event_status_by_link(event=event, cancelled=False)
    event.refresh_from_db()
    assert (event.status, event.sequence) == (Event.Status.SCHEDULED, sequence + 1)
    assert event.modified > cancelled_stamp  # DTSTAMP orders the undo after the cancel
    later(time_machine, start, 6)
    services.event_status_by_link(event=event, cancelled=True)
    later(time_machine, start, 20)  # not quick: calendars must learn it is on again
    services.event_status_by_link(event=event, cancelled=False)
    assert Event.objects.get(pk=event.pk).sequence == sequence + 3


def test_an_undo_after_another_change_raises_the_sequence(time_machine):
    event = EventFactory()
    sequence = event.sequence
    services.event_status_by_link(event=event, cancelled=True)
    event.title = "Moved indoors"
    services.event_save(event=event)
    services.event_status_by_link(event=event, cancelled=False)
    assert Event.objects.get(pk=event.pk).sequence == sequence + 3


def test_asking_for_the_status_an_event_has_changes_and_counts_nothing(settings):
    settings.DIARY_MANAGE_STATUS_PER_HOUR = 1
    event = EventFactory()
    rows = Change.objects.count()
    for _ in range(5):
        services.event_status_by_link(event=event, cancelled=False)
    assert Change.objects.count() == rows
    services.event_status_by_link(event=event, cancelled=True)
    assert Event.objects.get(pk=event.pk).status == Event.Status.CANCELLED


# 14. /submit/preview/ costs 0.18 s per anonymous GET with no limit


def test_the_date_preview_is_limited_per_client_address(client, settings):
    settings.DIARY_PREVIEW_PER_HOUR = 3
    query = {"start": "2026-12-01T19:00", "repeat": "weekly", "weekly_days": ["TU"]}
    codes = [client.get("/submit/preview/", query).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = client.get("/submit/preview/", query)
    assert "Too many date previews" in refused.content.decode()
    other = client.get("/submit/preview/", query, REMOTE_ADDR="198.51.100.20")
    assert other.status_code == 200
