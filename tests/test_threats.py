"""Each finding of docs/security.md, as the attacker tried it, refused.

The numbers are the findings' numbers there; the tests of the parts stay beside the parts.
"""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from rest_framework.test import APIClient

from diary import recurrence
from diary.models import ApiToken, Event
from tests.factories import (
    CategoryFactory,
    EventFactory,
    OrganiserFactory,
    VenueFactory,
    form_data,
    local,
    started,
)

pytestmark = pytest.mark.django_db

NEVER = "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30"


def organiser_api(*, trusted: bool = False) -> APIClient:
    organiser = OrganiserFactory(is_trusted=trusted)
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {ApiToken.objects.create(organiser=organiser).key}"
    )
    client.organiser = organiser
    return client


def api_event(**overrides) -> dict:
    return {
        "title": "Canal clean-up",
        "start": "2026-12-05T10:00:00+01:00",
        "end": "2026-12-05T13:00:00+01:00",
        "venue": VenueFactory().slug,
        "category": CategoryFactory().slug,
        "is_free": True,
        **overrides,
    }


# 2. A rule that never yields a date


@pytest.mark.parametrize(
    "rule",
    [
        NEVER,
        "FREQ=DAILY;BYSETPOS=366",
        NEVER + ";BYMINUTE=" + ",".join(str(minute) for minute in range(60)),
        "FREQ=DAILY;BYSETPOS=366;COUNT=3",
    ],
)
def test_a_rule_without_dates_is_a_400_after_one_bounded_expansion(rule, monkeypatch):
    calls = []
    expand = recurrence.expand
    monkeypatch.setattr(recurrence, "expand", lambda **kw: calls.append(1) or expand(**kw))
    response = organiser_api().post("/api/v1/events/", api_event(rrule=rule), format="json")
    assert response.status_code == 400
    assert response.json()["rrule"][0].startswith("This rule takes too much work")
    assert len(calls) == 1
    assert not Event.objects.exists()


def test_an_accepted_rule_is_expanded_once_per_request(monkeypatch):
    calls = []
    expand = recurrence.expand
    monkeypatch.setattr(recurrence, "expand", lambda **kw: calls.append(1) or expand(**kw))
    response = organiser_api().post(
        "/api/v1/events/", api_event(rrule="FREQ=WEEKLY;COUNT=4"), format="json"
    )
    assert response.status_code == 201
    assert len(calls) == 1
    assert Event.objects.get().occurrences.count() == 4


def test_a_stored_rule_over_the_budget_is_reported_by_the_check_and_skipped():
    event = EventFactory()
    Event.objects.filter(pk=event.pk).update(rrule=NEVER)  # stored before the budget existed
    with pytest.raises(SystemCheckError, match=rf"Event {event.pk} .*too much work"):
        call_command("check", "--deploy", "--database", "default", "--fail-level", "WARNING")
    call_command("extend_occurrences")  # logs it and goes on, in bounded time


def test_migrating_an_empty_database_runs_no_data_check(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}"}
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


# 1. A typed address claims an organiser's trust


def test_a_form_sent_with_a_trusted_address_is_pending_and_renames_nobody(client, mailoutbox):

    OrganiserFactory(email="canal@example.org", name="Collectif Canal", is_trusted=True)
    response = client.post("/submit/", form_data(organiser_name="Evil Corp"))
    event = Event.objects.get()
    assert event.publication_state == Event.PublicationState.PENDING
    assert event.organiser.name == "Collectif Canal"
    assert "Evil Corp" not in client.get(response["Location"]).content.decode()
    [mail] = mailoutbox
    assert mail.to == ["canal@example.org"]


# 3. An untrusted organiser's API edit of an approved event


def test_an_untrusted_organisers_api_edit_waits_while_the_published_version_stays(client):
    from diary import services

    api = organiser_api()
    event = EventFactory(organiser=api.organiser, ticket_url="https://tickets.example/")
    client.get("/feeds/events.ics")
    response = api.patch(
        f"/api/v1/events/{event.pk}/",
        {"ticket_url": "https://phishing.example/", "title": "Free tickets"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["publication_state"] == "published"
    assert response.json()["changes_pending"] is True
    assert response.json()["ticket_url"] == "https://tickets.example/"
    page = client.get(event.get_absolute_url()).content.decode()
    assert "tickets.example" in page
    assert "phishing" not in page
    feed = client.get("/feeds/events.ics").content.decode()
    assert "phishing" not in feed and "Free tickets" not in feed
    assert Event.objects.awaiting_moderation().get() == event
    # An editor approves: the change is applied, once, and calendars notice.
    services.event_publish(event=Event.objects.get(pk=event.pk))
    event.refresh_from_db()
    assert (event.title, event.ticket_url) == ("Free tickets", "https://phishing.example/")
    assert event.pending_change is None
    assert event.sequence == 1


def test_a_trusted_organisers_token_publishes_and_keeps_its_edits_published():
    api = organiser_api(trusted=True)
    created = api.post("/api/v1/events/", api_event(), format="json").json()
    assert created["publication_state"] == "published"
    edited = api.patch(f"/api/v1/events/{created['id']}/", {"title": "New"}, format="json")
    assert edited.json()["publication_state"] == "published"


# 8. Out-of-range dates and odd input


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/occurrences/?end=9999-12-31",
        "/api/v1/occurrences/?start=0001-01-01",
        "/api/v1/events/?end=9999-12-31T23:59",
        "/feeds/events.ics?end=9999-12-31",
        "/feeds/events.ics?start=0001-01-01",
        "/feeds/events.rss?end=9999-12-31",
    ],
)
def test_out_of_range_dates_are_a_400_naming_the_parameter(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert url.split("?")[1].split("=")[0] in response.content.decode()


@pytest.mark.parametrize("query", ["end=9999-12-31", "start=0001-01-01", "start=9999-12-31"])
def test_out_of_range_dates_show_the_agenda_with_a_message(client, query):
    EventFactory(title="Not listed")
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Not listed" not in html  # as if the dates had not been asked for
    assert "Nothing is listed until this is corrected" in html


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "10000-01"])
def test_an_out_of_range_month_shows_this_month(client, month, time_machine):
    time_machine.move_to(local(2026, 12, 8, 12))
    response = client.get(f"/month/?month={month}")
    assert response.status_code == 200
    assert "<h1>December 2026</h1>" in response.content.decode()


@pytest.mark.parametrize("start", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_the_dates_preview_of_an_out_of_range_start_is_empty(client, start):
    response = client.get("/submit/preview/", {"start": start, "repeat": "weekly"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<time" not in html  # no date, and the form's invitation to choose one
    assert "Choose a start (and how it repeats) to see the dates here." in html


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59", "1000-01-01"])
def test_an_out_of_range_extra_date_is_a_field_error(value):
    response = organiser_api().post("/api/v1/events/", api_event(rdates=[value]), format="json")
    assert response.status_code == 400
    assert "rdates" in response.json()


def test_an_out_of_range_submitted_start_is_a_field_error(client):

    response = client.post("/submit/", form_data(start="0001-01-01T00:00", rdates="9999-12-31"))
    assert response.status_code == 400
    assert not Event.objects.exists()


def test_deeply_nested_json_is_a_400(client):
    api = organiser_api()
    body = "[" * 100_000 + "]" * 100_000
    response = api.post("/api/v1/events/", body, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("url", ["/feeds/events.ics?q=a%0Ab", "/?q=a%0Db", "/api/v1/events/?q=%1B"])
def test_control_characters_in_a_query_are_a_400(client, url):
    assert client.get(url).status_code == 400


# 9. Control characters in text


@pytest.mark.parametrize("title", ["Line\nbreak", "Carriage\rreturn", "Bell\x07"])
def test_a_title_with_control_characters_is_a_field_error_at_every_door(client, title):

    response = client.post("/submit/", form_data(title=title))
    assert response.status_code == 400
    response = organiser_api().post("/api/v1/events/", api_event(title=title), format="json")
    assert response.status_code == 400
    assert "title" in response.json()
    assert not Event.objects.exists()


def test_line_breaks_stay_in_a_description(client):

    client.post("/submit/", form_data(description="One.\r\n\r\nTwo."))
    assert "Two." in Event.objects.get().description


def test_ical_text_is_escaped_even_when_stored_with_a_carriage_return(client):
    event = EventFactory()
    Event.objects.filter(pk=event.pk).update(
        title_en="Evil\rATTACH:https://evil.example/x", ical_en=""
    )
    body = client.get("/feeds/events.ics").content
    assert b"\rATTACH" not in body
    assert b"\r\nATTACH" not in body
    assert b"\nATTACH" not in body


def test_a_title_stored_with_a_line_break_before_the_rule_is_approved_and_mailed(
    admin_client, mailoutbox
):
    from django.urls import reverse

    event = EventFactory(publication_state=Event.PublicationState.PENDING)
    event.organiser = OrganiserFactory()
    event.save()
    Event.objects.filter(pk=event.pk).update(title_en="Line\nbreak")
    response = admin_client.post(
        reverse("admin:diary_submission_changelist"),
        {"action": "approve", "_selected_action": [event.pk]},
    )
    assert response.status_code == 302
    [mail] = mailoutbox
    assert "\n" not in mail.subject
    assert admin_client.get(f"/events/{event.slug}.ics").status_code == 200


# 10. The health check


@pytest.mark.server_error
def test_the_health_check_says_only_up_or_down(client, monkeypatch, caplog):
    from django.db import OperationalError
    from django.db.backends.utils import CursorWrapper

    def fail(*args, **kwargs):
        raise OperationalError('connection to server at "10.0.0.5", port 5432 failed')

    monkeypatch.setattr(CursorWrapper, "execute", fail)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "10.0.0.5" not in response.content.decode()
    assert "5432" not in response.content.decode()
    assert "10.0.0.5" in caplog.text


def test_a_calendar_name_never_carries_a_bare_carriage_return(client):
    from diary.models import Category

    event = EventFactory()
    Category.objects.filter(pk=event.category_id).update(
        name_en="Music\rATTACH:https://evil.example/"
    )
    body = client.get(f"/feeds/categories/{event.category.slug}.ics").content
    assert b"\rATTACH" not in body.replace(b"\r\n", b"")
    assert b"\nATTACH" not in body


# 6. The client's address


def _api_codes(monkeypatch, forwarded_for) -> list[int]:
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": "9/minute"}
    )
    return [
        APIClient().get("/api/v1/categories/", HTTP_X_FORWARDED_FOR=address).status_code
        for address in forwarded_for
    ]


def test_a_forged_forwarded_for_changes_nothing_without_proxies(monkeypatch, settings):
    settings.NUM_PROXIES = 0
    assert _api_codes(monkeypatch, [f"198.51.100.{n}" for n in range(5)])[-1] == 429


def test_behind_one_proxy_each_client_has_its_own_limit(monkeypatch, settings):
    settings.NUM_PROXIES = 1
    # nginx appends the address it saw; whatever the client sent before it is not trusted.
    same_client = [f"10.9.9.{n}, 203.0.113.7" for n in range(4)]
    assert _api_codes(monkeypatch, same_client) == [200, 200, 200, 429]
    assert _api_codes(monkeypatch, ["203.0.113.8"]) == [200]


def test_the_submission_limit_counts_the_address_the_proxy_saw(client, settings):
    from diary.models import Event as Submitted

    settings.NUM_PROXIES = 1
    settings.DIARY_SUBMIT_PER_HOUR = 1
    for n, forwarded in enumerate(["203.0.113.7", "203.0.113.8", "1.2.3.4, 203.0.113.7"]):
        client.post(
            "/submit/",
            form_data(organiser_email=f"o{n}@example.org"),
            HTTP_X_FORWARDED_FOR=forwarded,
        )
    assert Submitted.objects.count() == 2


# 7. Shared state without Redis


def test_without_redis_counters_and_the_data_version_are_shared_by_every_worker(settings):
    from tests.test_settings import load_settings

    result = load_settings(
        DEBUG="1",
        REDIS_URL="",
        _print="s.CACHES['shared']['BACKEND']",
    )
    assert result.stdout.strip() == "diary.file_cache.CountersFileBasedCache"


def test_a_worker_that_forgets_its_own_memory_still_holds_the_submission_limit(client, settings):
    from django.core.cache import cache

    settings.DIARY_SUBMIT_PER_HOUR = 1
    codes = []
    for n in range(2):
        cache.clear()  # the next request lands on another worker, with its own memory
        codes.append(client.post("/submit/", form_data(organiser_email=f"o{n}@x.org")).status_code)
    assert codes == [302, 400]


def test_a_write_through_another_worker_is_never_served_stale(client):
    from diary import journal

    event = EventFactory(title="Old title")
    assert "Old title" in client.get("/").content.decode()
    version = journal.data_version()
    Event.objects.filter(pk=event.pk).update(title_en="New title")  # written by another worker…
    # …which journalled it (stamping the event), moving the version every worker shares.
    journal.record(action="edited", subject=event.title, events=[(event.pk, event.uid)])
    assert journal.data_version() != version
    assert "New title" in client.get("/").content.decode()


# 4. Anonymous disk filling


def _media_files(settings, folder: str = "events") -> list:
    """The files under MEDIA_ROOT/folder: the uploads (`CACHE`: their sizes; "": all)."""
    from pathlib import Path

    return [path for path in (Path(settings.MEDIA_ROOT) / folder).rglob("*") if path.is_file()]


def _jpeg(size=(2000, 1500), *, noise: bool = True):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = BytesIO()
    image = Image.effect_noise(size, 60) if noise else Image.new("L", size, 128)
    image.convert("RGB").save(out, format="JPEG", quality=95)
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


def test_invalid_or_previewed_forms_store_no_image(client, settings):

    client.post("/submit/", {**form_data(title=""), "image": _jpeg()})
    client.post("/submit/", {**form_data(), "preview": "1", "image": _jpeg()})
    assert _media_files(settings, "") == []
    assert not Event.objects.exists()


def test_a_bot_or_a_flood_gets_its_upload_refused_before_it_is_opened(
    client, settings, monkeypatch
):
    from diary import submissions

    opened = []
    process = submissions.image_process
    monkeypatch.setattr(submissions, "image_process", lambda f: opened.append(1) or process(f))
    client.post("/submit/", {**form_data(website_url="http://spam"), "image": _jpeg()})
    client.post("/submit/", {**form_data(started=started(0)), "image": _jpeg()})
    assert opened == []
    settings.DIARY_SUBMIT_PER_HOUR = 1  # four uploads an hour
    codes = [
        client.post("/submit/", {**form_data(title=""), "image": _jpeg((50, 50))}).status_code
        for _ in range(6)
    ]
    assert codes == [400] * 6
    assert len(opened) == 4
    assert _media_files(settings, "") == []


def test_an_address_out_of_submissions_has_its_upload_refused_unopened(
    client, settings, monkeypatch
):
    from diary import submissions

    settings.DIARY_SUBMIT_PER_HOUR = 1
    assert client.post("/submit/", form_data()).status_code == 302
    opened = []
    monkeypatch.setattr(submissions, "image_process", lambda f: opened.append(1))
    response = client.post("/submit/", {**form_data(title="Again"), "image": _jpeg((50, 50))})
    assert response.status_code == 400
    assert "many events" in response.content.decode()
    assert opened == []


def test_a_saved_event_keeps_its_image_and_a_replaced_one_is_removed(client, settings):
    from diary import services

    client.post("/submit/", {**form_data(), "image": _jpeg()})
    event = Event.objects.get()
    [first] = _media_files(settings)
    assert event.image.path == str(first)
    manage = f"/submit/manage/{services.manage_token(event)}/"
    client.post(manage, {**form_data(), "image": _jpeg((900, 600))})
    event.refresh_from_db()
    [second] = _media_files(settings)
    assert second != first
    assert event.image.path == str(second)
    # The replaced image's sizes went with it; the new one's are there.
    sized = {path.parent.name for path in _media_files(settings, "CACHE")}
    assert sized == {second.stem}


# 5. Images that decode to far more than they weigh


def test_a_png_announcing_too_many_pixels_is_refused_before_decoding(monkeypatch):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from diary.images import ImageError, image_process

    out = BytesIO()
    Image.new("RGB", (6300, 6300), "white").save(out, format="PNG")  # ~77 KB, 40 MP
    loads = []
    monkeypatch.setattr(Image.Image, "load", lambda self: loads.append(1))
    with pytest.raises(ImageError, match="too many pixels"):
        image_process(SimpleUploadedFile("a.png", out.getvalue()))
    assert loads == []


def test_a_large_jpeg_is_decoded_at_a_reduced_scale():
    from diary.images import image_process

    photo = _jpeg((6000, 4000), noise=False)  # 24 MP, under the JPEG cap
    with_draft = []
    from PIL import JpegImagePlugin

    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = original(self, mode, size)
        with_draft.append(self.size)
        return result

    JpegImagePlugin.JpegImageFile.draft = spy
    try:
        image_process(photo)
    finally:
        JpegImagePlugin.JpegImageFile.draft = original
    assert with_draft and max(with_draft[0]) <= 3000  # decoded at 1/2 or less


# 11. Replays, guesses and floods


def test_a_form_token_serves_one_submission(client):

    data = form_data()
    assert client.post("/submit/", data).status_code == 302
    again = client.post("/submit/", {**data, "title": "Another"})
    assert again.status_code == 400
    assert "sent already" in again.content.decode()
    assert Event.objects.count() == 1


def test_an_event_lists_at_most_500_extra_dates():
    dates = [
        f"{year}-{month:02}-{day:02}"
        for year in (2027, 2028)
        for month in range(1, 13)
        for day in range(1, 29)
    ]
    response = organiser_api().post("/api/v1/events/", api_event(rdates=dates), format="json")
    assert response.status_code == 400
    assert "at most 500" in response.json()["rdates"][0]


def test_orphaned_images_are_removed_and_used_ones_kept(client, settings):
    import os
    import time

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    client.post("/submit/", {**form_data(), "image": _jpeg((300, 200))})
    kept = Event.objects.get().image.name
    orphan = default_storage.save("events/submitted/left-behind.jpg", ContentFile(b"x"))
    fresh = default_storage.save("events/submitted/being-saved.jpg", ContentFile(b"x"))
    now = time.time()  # the clock the command reads (faked in CI's run a year ahead)
    for name, age in ((kept, 25 * 3600), (orphan, 25 * 3600), (fresh, 60)):
        os.utime(default_storage.path(name), (now - age, now - age))
    call_command("remove_orphan_images")
    assert default_storage.exists(kept)
    assert default_storage.exists(fresh)
    assert not default_storage.exists(orphan)


def test_the_admin_login_locks_an_address_out_after_repeated_failures(client, settings):
    from django.contrib.auth.models import User
    from django.test import Client

    User.objects.create_superuser("editor", "editor@example.org", "right-password-123")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "editor", "password": "wrong"})
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "editor", "password": "right-password-123"}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    elsewhere = Client(REMOTE_ADDR="198.51.100.9").post(
        "/admin/login/?next=/admin/", {"username": "editor", "password": "right-password-123"}
    )
    assert elsewhere.status_code == 302


def test_a_rejected_change_leaves_the_published_version_and_tells_the_organiser(mailoutbox):
    from diary import services

    api = organiser_api()
    event = EventFactory(organiser=api.organiser, title="Jazz")
    api.patch(f"/api/v1/events/{event.pk}/", {"title": "Spam"}, format="json")
    services.event_reject(event=Event.objects.get(pk=event.pk), reason="Not an event title")
    event.refresh_from_db()
    assert (event.title, event.is_published, event.pending_change) == ("Jazz", True, None)
    [mail] = mailoutbox
    assert "Not an event title" in mail.body
