"""The organisers' form, its defences, images, the manage link, and what editors see."""

import json
import re
import threading
from html.parser import HTMLParser
from io import BytesIO

import icalendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from PIL import Image

from diary import services
from diary.models import Event, Organiser
from tests.factories import (
    CategoryFactory,
    EventFactory,
    OrganiserFactory,
    VenueFactory,
    form_data,
    local,
    png,
    started,
)

pytestmark = pytest.mark.django_db


def feed_bytes(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def submit(client, **overrides):
    return client.post("/submit/", form_data(**overrides))


# The workflow


def test_a_weekly_event_lands_pending_with_its_dates_and_an_email(client, mailoutbox, still_clock):
    # The manage link is signed with the second it was made in: a still clock keeps it one.
    response = submit(client)
    event = Event.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "diary:submission-manage", args=[services.manage_token(event, proven=False)]
    )
    assert event.publication_state == Event.PublicationState.PENDING
    assert event.rrule == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261222"
    assert [o.start for o in event.occurrences.order_by("start")] == [
        local(2026, 12, day, 19) for day in (1, 8, 15, 22)
    ]
    assert event.organiser.email == "canal@example.org"
    assert event.venue.name == "Recyclart"
    [mail] = mailoutbox
    assert mail.to == ["canal@example.org"]
    assert services.manage_url(event) in mail.body
    assert "Repair Café" not in client.get("/").content.decode()


def test_every_month_on_the_last_friday(client):
    submit(
        client,
        repeat="monthly",
        monthly_ordinal="-1",
        monthly_weekday="FR",
        weekly_days=None,
        start="2026-12-25T20:00",
        end="",
        repeat_until="2027-02-28",
    )
    event = Event.objects.get()
    assert event.rrule == "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20270228"
    assert [o.start.day for o in event.occurrences.order_by("start")] == [25, 29, 26]


def test_extra_and_skipped_dates(client):
    submit(client, rdates="2026-12-31", exdates="2026-12-15")
    days = [o.start.day for o in Event.objects.get().occurrences.order_by("start")]
    assert days == [1, 8, 22, 31]


def test_a_trusted_address_typed_in_the_form_waits_for_the_mailed_link(
    client, mailoutbox, settings
):
    OrganiserFactory(email="canal@example.org", name="Collectif Canal", is_trusted=True)
    response = submit(client, organiser_name="Someone Else")
    event = Event.objects.get()
    assert not event.is_published
    assert event.organiser.name == "Collectif Canal"  # a typed address renames nobody
    # Whoever sent the form gets a link without the organiser's trust: no publish button.
    page = client.get(response["Location"]).content.decode()
    assert "Publish now" not in page
    assert client.post(response["Location"], {"action": "publish"}).status_code == 302
    event.refresh_from_db()
    assert not event.is_published
    # The organiser, who reads the mailbox, publishes with the mailed link.
    [mail] = mailoutbox
    assert "Publish now" in mail.body
    mailed = mail.body.split(settings.SITE_URL)[1].split()[0]
    assert "Publish now" in client.get(mailed).content.decode()
    client.post(mailed, {"action": "publish"})
    event.refresh_from_db()
    assert event.is_published


def test_a_submission_its_organiser_called_off_is_not_published_by_the_mailed_link(
    client, mailoutbox, settings
):
    """The rule the editors' approval keeps (a cancelled submission nobody asked to publish)
    is the service's: the trusted organiser's own link keeps it too, until reinstated."""
    OrganiserFactory(email="canal@example.org", is_trusted=True)
    submit(client)
    mailed = mailoutbox[0].body.split(settings.SITE_URL)[1].split()[0]
    client.post(mailed, {"action": "cancel", "confirmed": "yes"})
    assert "Publish now" not in client.get(mailed).content.decode()
    page = client.post(mailed, {"action": "publish"}, follow=True).content.decode()
    assert "The event is cancelled: reinstate it first." in page
    event = Event.objects.get()
    assert not event.is_published and event.is_called_off
    with pytest.raises(services.CalledOff):
        services.event_publish(event=event)
    client.post(mailed, {"action": "reinstate"})
    client.post(mailed, {"action": "publish"})
    event.refresh_from_db()
    assert event.is_published and not event.is_called_off


def test_a_new_venue_can_be_proposed(client):
    submit(client, venue_name="", new_venue="Atelier 34zero, Rue de la Senne 34, Bruxelles")
    event = Event.objects.get()
    assert event.venue is None
    assert event.venue_proposal.startswith("Atelier 34zero")


def test_an_unknown_venue_name_asks_to_choose_or_propose(client):
    response = submit(client, venue_name="Nowhere")
    assert response.status_code == 400
    assert "is not a venue we know" in response.content.decode()


def test_errors_show_next_to_their_fields_and_keep_everything_typed(client):
    response = submit(client, title="", end="2026-12-01T18:00")
    html = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in html
    assert "The end must be after the start." in html
    assert 'value="Bring your broken things"' in html
    assert 'value="2026-12-01T19:00"' in html
    assert "Every &lt;strong&gt;Tuesday&lt;/strong&gt;." in html
    assert 'value="TU"\n' in html or 'value="TU" checked' in html or "checked" in html
    assert not Event.objects.exists()


def test_repeating_without_an_end_date_is_explained(client):
    response = submit(client, repeat_until="")
    assert "Say until when it repeats." in response.content.decode()


def test_the_dates_preview(client):
    response = client.get("/submit/preview/", form_data())
    html = response.content.decode()
    assert html.count("<li>") == 4
    assert "Tue 15 Dec 2026, 19:00" in html


def test_the_form_works_without_javascript_preview_button(client):
    response = client.post("/submit/", {**form_data(), "preview": "1"})
    assert "Tue 8 Dec 2026, 19:00" in response.content.decode()
    assert not Event.objects.exists()


# Spam and abuse


def test_the_honeypot_catches_bots(client):
    response = submit(client, website_url="http://spam.example")
    assert response.status_code == 400
    assert not Event.objects.exists()


@pytest.mark.parametrize("token", ["just now", "", "forged"])
def test_a_form_sent_too_fast_or_without_its_start_is_refused(client, token):
    token = started(0) if token == "just now" else token
    assert submit(client, started=token).status_code == 400
    assert not Event.objects.exists()


def test_too_many_links_are_refused(client):
    links = " ".join(f"https://spam{n}.example" for n in range(4))
    response = submit(client, description=links)
    assert response.status_code == 400
    assert "too many links" in response.content.decode()


def test_submissions_are_limited_per_address(client, settings):
    settings.DIARY_SUBMIT_PER_HOUR = 2
    codes = [submit(client, organiser_email=f"o{n}@example.org").status_code for n in range(3)]
    assert codes == [302, 302, 400]
    assert Event.objects.count() == 2


def test_submissions_are_limited_per_email(settings):
    settings.DIARY_SUBMIT_PER_HOUR = 2
    codes = [
        Client(REMOTE_ADDR=f"10.0.0.{n}").post("/submit/", form_data()).status_code
        for n in range(3)
    ]
    assert codes == [302, 302, 400]


def test_the_form_is_protected_against_csrf():
    assert Client(enforce_csrf_checks=True).post("/submit/", form_data()).status_code == 403


# Images


def test_an_image_is_reencoded_resized_and_stripped(client):
    client.post("/submit/", {**form_data(), "image": png(size=(3200, 2400), exif=True)})
    event = Event.objects.get()
    with Image.open(event.image.path) as stored:
        assert stored.format == "JPEG"
        assert max(stored.size) == 1600
        assert not stored.getexif()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("a.png", b"not an image at all"), "not an image we can read"),
        (SimpleUploadedFile("big.jpg", b"0" * (5 * 1024 * 1024 + 1)), "larger than 5 MB"),
    ],
)
def test_bad_images_are_refused_with_a_message(client, upload, message):
    response = client.post("/submit/", {**form_data(), "image": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Event.objects.exists()


def test_a_gif_is_refused(client):
    out = BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="GIF")
    upload = SimpleUploadedFile("a.gif", out.getvalue(), content_type="image/gif")
    response = client.post("/submit/", {**form_data(), "image": upload})
    assert "Send a JPEG, PNG or WebP image." in response.content.decode()


def test_a_decompression_bomb_is_refused(client):
    out = BytesIO()
    Image.new("1", (12_000, 12_000)).save(out, format="PNG")  # 144 MP, a few KB
    upload = SimpleUploadedFile("bomb.png", out.getvalue(), content_type="image/png")
    response = client.post("/submit/", {**form_data(), "image": upload})
    assert response.status_code == 400
    assert "too many pixels" in response.content.decode()


def test_the_image_is_kept_across_a_failed_submit(client):
    failed = client.post("/submit/", {**form_data(title=""), "image": png()})
    html = failed.content.decode()
    assert failed.status_code == 400
    token = html.split('name="image_token" value="')[1].split('"')[0]
    assert "This image is kept" in html
    client.post("/submit/", {**form_data(), "image_token": token})
    assert Event.objects.get().image.name.startswith("events/submitted/")


# The manage link


def manage_url(event) -> str:
    return reverse("diary:submission-manage", args=[services.manage_token(event)])


def test_the_manage_link_shows_the_state(client):
    submit(client)
    html = client.get(manage_url(Event.objects.get())).content.decode()
    assert "Pending review" in html
    assert "Cancel this event" in html


def test_a_bad_or_expired_manage_link_is_refused(client, settings):
    assert client.get("/submit/manage/forged/").status_code == 404
    submit(client)
    url = manage_url(Event.objects.get())
    settings.DIARY_MANAGE_LINK_DAYS = -1
    assert client.get(url).status_code == 404


def test_editing_a_published_event_waits_for_the_editors_and_keeps_it_public(client):
    submit(client)
    event = services.event_publish(event=Event.objects.get())
    response = client.post(manage_url(event), form_data(title="Repair Café (new room)"))
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.title == "Repair Café"
    assert event.is_published
    assert event.pending_change == {"fields": {"title_en": "Repair Café (new room)"}}
    manage_page = client.get(manage_url(event)).content.decode()
    assert "wait for the editors" in manage_page
    assert 'value="Repair Café (new room)"' in manage_page  # the form shows the proposal
    services.event_publish(event=event)
    event.refresh_from_db()
    assert (event.title, event.sequence, event.pending_change) == (
        "Repair Café (new room)",
        1,
        None,
    )


def test_editing_a_pending_event_keeps_it_pending(client):
    submit(client)
    event = Event.objects.get()
    client.post(manage_url(event), form_data(title="Repair Café (new room)"))
    event.refresh_from_db()
    assert event.title == "Repair Café (new room)"
    assert event.publication_state == Event.PublicationState.PENDING


def test_a_trusted_organisers_edit_through_the_mailed_link_stays_published(client):
    OrganiserFactory(email="canal@example.org", is_trusted=True)
    submit(client)
    event = services.event_publish(event=Event.objects.get())
    client.post(manage_url(event), form_data(start="2026-12-01T20:00", end="2026-12-01T22:00"))
    event.refresh_from_db()
    assert event.is_published
    assert event.occurrences.order_by("start").first().start == local(2026, 12, 1, 20)


def test_an_edit_through_the_link_the_form_handed_out_is_moderated_even_if_trusted(client):
    OrganiserFactory(email="canal@example.org", is_trusted=True)
    handed_out = submit(client)["Location"]
    event = services.event_publish(event=Event.objects.get())
    client.post(handed_out, form_data(title="Phishing Café"))
    event.refresh_from_db()
    assert event.title == "Repair Café"
    assert event.pending_change == {"fields": {"title_en": "Phishing Café"}}


def test_cancelling_once_confirmed_is_immediate_and_shows_in_the_feed(client):
    submit(client)
    event = services.event_publish(event=Event.objects.get())
    client.post(manage_url(event), {"action": "cancel", "confirmed": "yes"})
    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED
    assert (
        "This event will not take place." in client.get(event.get_absolute_url()).content.decode()
    )
    feed = feed_bytes(client.get("/feeds/events.ics?start=2026-11-01"))
    [vevent] = icalendar.Calendar.from_ical(feed).walk("VEVENT")
    assert vevent["STATUS"] == "CANCELLED"


# Script never runs: an XSS corpus through every field and every door

XSS = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    '<svg onload="alert(1)"><script>alert(2)</script></svg>',
    '"><iframe src="//evil.example">',
    "<p onmouseover='alert(1)'>unclosed <b>markup",
]


class ActiveContent(HTMLParser):
    """What a browser would run: script text, event-handler attributes, javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        # A JSON or JSON-LD block is data, not code (and its "<" are escaped).
        data_block = dict(attrs).get("type", "").startswith("application/")
        self._in_script = tag == "script" and not data_block
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on") or value.startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value}>")
            if tag in {"iframe", "embed", "object"} and "evil" in value:
                self.found.append(f"<{tag} {name}={value}>")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and "alert(" in data:
            self.found.append(f"<script>{data}")


def active_content(html: str) -> list[str]:
    parser = ActiveContent()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("payload", XSS)
def test_the_inertness_check_sees_live_payloads(payload):
    assert active_content(payload)


@pytest.mark.parametrize("payload", XSS)
def test_script_from_a_submitter_is_inert_everywhere(client, admin_client, payload):
    submit(
        client,
        title=f"Title {payload}",
        summary=f"Summary {payload}",
        description=f"<p>Description {payload}</p>",
        accessibility_notes=f"Notes {payload}",
        venue_name="",
        new_venue=f"Venue {payload}",
        image_alt=f"Alt {payload}",
    )
    event = Event.objects.get()
    admin_queue = admin_client.get(reverse("admin:diary_submission_change", args=[event.pk]))
    assert active_content(admin_queue.content.decode()) == []
    assert (
        active_content(
            admin_client.get(reverse("admin:diary_submission_changelist")).content.decode()
        )
        == []
    )
    event = services.event_publish(event=event)
    assert active_content(event.description) == []
    for url in (
        "/",
        event.get_absolute_url(),
        "/month/?month=2026-12",
        "/feeds/events.rss?start=2026-11-01",
    ):
        assert active_content(client.get(url).content.decode()) == [], url
    api = client.get(f"/api/v1/events/{event.pk}/").json()
    assert active_content(api["description"]) == []
    assert api["accessibility_notes"] == f"Notes {payload}"  # plain text, as typed
    assert f"Notes {payload}" not in client.get(event.get_absolute_url()).content.decode()
    feed = feed_bytes(client.get("/feeds/events.ics?start=2026-11-01"))
    [vevent] = icalendar.Calendar.from_ical(feed).walk("VEVENT")
    assert active_content(str(vevent["DESCRIPTION"])) == []
    assert "<script" not in str(vevent["DESCRIPTION"])


# Many at once


def submit_at_once(count: int, *, title) -> list[int]:
    """`count` submissions sent from threads at the same moment; their status codes."""
    category = CategoryFactory(slug="workshop", name="Workshop")
    venue = VenueFactory(name="Recyclart", slug="recyclart")
    codes = []
    barrier = threading.Barrier(count)

    def one(number: int):
        data = form_data(
            title=title(number),
            organiser_email=f"organiser{number % 7}@example.org",
            category=category.pk,
            venue_name=venue.name,
        )
        barrier.wait()
        codes.append(Client(REMOTE_ADDR=f"10.1.0.{number}").post("/submit/", data).status_code)
        connection.close()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_concurrent_submissions_are_all_stored_once(settings):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writes one at a time; this runs on PostgreSQL in CI")
    settings.DIARY_SUBMIT_PER_HOUR = 1000
    assert submit_at_once(50, title=lambda n: f"Event {n}") == [302] * 50
    assert sorted(Event.objects.values_list("title_en", flat=True)) == sorted(
        f"Event {n}" for n in range(50)
    )
    assert Organiser.objects.filter(email__startswith="organiser").count() == 7
    assert len(set(Event.objects.values_list("slug", flat=True))) == 50


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_title_sent_at_once_gets_distinct_slugs_never_a_500(settings):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writes one at a time; this runs on PostgreSQL in CI")
    settings.DIARY_SUBMIT_PER_HOUR = 1000
    assert submit_at_once(8, title=lambda n: "Same Title") == [302] * 8
    assert len(set(Event.objects.values_list("slug", flat=True))) == 8


def test_a_slug_taken_between_the_check_and_the_insert_is_retried(monkeypatch):
    from diary import services

    EventFactory(title="Jazz Night")  # takes "jazz-night"
    real = services.unique_slug
    calls = []

    def stale_first(model, text, *, exclude_pk=None):
        calls.append(1)
        return "jazz-night" if len(calls) == 1 else real(model, text, exclude_pk=exclude_pk)

    monkeypatch.setattr(services, "unique_slug", stale_first)
    event = services.event_save(event=Event(title="Jazz Night", start=local(2026, 12, 1, 20)))
    assert event.slug == "jazz-night-2"


# Issue 30, point 7: the repetition follows the start


def test_a_weekly_event_without_days_repeats_on_its_starts_weekday(client):
    submit(client, start="2027-01-02T10:00", end="2027-01-02T12:00", weekly_days=None,
           repeat_until="2027-01-30")  # fmt: skip
    assert Event.objects.get().rrule == "FREQ=WEEKLY;BYDAY=SA;UNTIL=20270130"


@pytest.mark.parametrize(
    ("start", "ordinal", "weekday", "accepted"),
    [
        ("2027-01-02T10:00", "1", "SA", True),  # the first Saturday
        ("2027-01-02T10:00", "1", "MO", False),  # was listed: Sat 2 Jan, Mon 4 Jan, Mon 1 Feb
        ("2027-01-30T10:00", "-1", "SA", True),  # the last Saturday
        ("2027-01-23T10:00", "-1", "SA", False),  # the fourth, not the last
        ("2027-01-23T10:00", "4", "SA", True),
    ],
)
def test_a_monthly_event_must_start_on_a_day_it_repeats_on(
    client, start, ordinal, weekday, accepted
):
    response = submit(
        client,
        start=start,
        end=start[:11] + "12:00",
        repeat="monthly",
        weekly_days=None,
        monthly_ordinal=ordinal,
        monthly_weekday=weekday,
        repeat_until="2027-06-30",
    )
    assert (response.status_code == 302) is accepted
    if not accepted:
        assert "is not one of the days it repeats on" in response.content.decode()
        assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("prefix", "extra", "skipped"),
    [
        ("/fr", "31/12/2026 21:00", "15/12/2026"),
        ("/nl", "31-12-2026 21:00", "15/12/2026"),
        ("", "31/12/2026 21:00", "15/12/2026"),
        ("", "2026-12-31T21:00", "2026-12-15"),
    ],
)
def test_extra_and_skipped_dates_are_typed_as_the_pages_language_writes_them(
    client, prefix, extra, skipped
):
    """Typed "17/02/2027" was refused: only ISO dates were read."""
    response = client.post(f"{prefix}/submit/", form_data(rdates=extra, exdates=skipped))
    assert response.status_code == 302, response.content.decode()
    event = Event.objects.get()
    assert (event.rdates, event.exdates) == (["2026-12-31T21:00"], ["2026-12-15"])
    days = [o.start.day for o in event.occurrences.order_by("start")]
    assert days == [1, 8, 22, 31]


def test_without_javascript_a_monthly_event_repeats_as_on_its_first_date(client):
    """The controls once defaulted to "first Monday", and a Saturday start was refused."""
    response = submit(
        client,
        start="2027-01-02T10:00",
        end="2027-01-02T12:00",
        repeat="monthly",
        weekly_days=None,
        monthly_ordinal="",
        monthly_weekday="",
        repeat_until="2027-06-30",
    )
    assert response.status_code == 302
    assert Event.objects.get().rrule == "FREQ=MONTHLY;BYDAY=1SA;UNTIL=20270630"


def test_the_organiser_says_who_performs_and_that_it_is_sold_out(client, time_machine):
    """Who is on stage is asked with the event; "sold out" once it exists (the manage link),
    and the page, the agenda's row and what search engines read (schema.org) say it."""
    time_machine.move_to(local(2026, 11, 30, 12))  # before the dates the form sends
    OrganiserFactory(email="canal@example.org", is_trusted=True)
    assert 'name="performers"' in client.get("/submit/").content.decode()
    assert 'name="sold_out"' not in client.get("/submit/").content.decode()
    on_stage = {"performers": "Trio Marolles,  Noor Vandamme ,", "is_free": None, "price_min": "12"}
    submit(client, **on_stage)
    event = services.event_publish(event=Event.objects.get())
    assert event.performer_names == ["Trio Marolles", "Noor Vandamme"]
    assert 'name="sold_out"' in client.get(manage_url(event)).content.decode()

    client.post(manage_url(event), form_data(**on_stage, sold_out="on"))
    event.refresh_from_db()
    assert event.sold_out and event.is_published
    page = client.get("/fr" + event.get_absolute_url()).content.decode()
    assert "<dt>Avec</dt><dd>Trio Marolles, Noor Vandamme</dd>" in page
    assert "<dt>Billets</dt><dd><strong>Complet</strong></dd>" in page
    data = json.loads(re.search(r'application/ld\+json">(.*?)</script>', page).group(1))
    assert data["offers"]["availability"] == "https://schema.org/SoldOut"
    assert [performer["name"] for performer in data["performer"]] == [
        "Trio Marolles", "Noor Vandamme"
    ]  # fmt: skip
    row = re.search(r'<li class="occurrence.*?</li>', client.get("/nl/").content.decode(), re.S)
    assert '<strong class="status">Uitverkocht</strong>' in row.group()

    client.post(manage_url(event), form_data(**on_stage))  # tickets again
    event.refresh_from_db()
    assert not event.sold_out
    page = client.get(event.get_absolute_url()).content.decode()
    assert "Sold out" not in page and '"availability": "https://schema.org/InStock"' in page
