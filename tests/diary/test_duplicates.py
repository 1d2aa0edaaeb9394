"""Is this event already listed? Found on both databases (trigrams on PostgreSQL, words on
SQLite), shown on the form and in the API's answer, resolved by editors, reported by
imports."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from diary import duplicates, services
from diary.models import ApiToken, Event
from tests.diary.test_api import authorised, new_event
from tests.factories import EventFactory, OrganiserFactory, VenueFactory, form_data, local

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _november(time_machine):
    time_machine.move_to(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False)


@pytest.fixture
def flagey():
    return VenueFactory(name="Flagey", slug="flagey")


def jazz_night_sent(venue) -> Event:
    """A jazz night at `venue` on 5 December, sent through the form's service."""
    return services.event_submit(
        event=Event(title="Jazz night", venue=venue, start=local(2026, 12, 5, 20)),
        organiser=OrganiserFactory(),
    )


def unsaved(**fields) -> Event:
    return Event(**fields)


def test_same_place_overlapping_time_similar_title_is_a_likely_duplicate(flagey):
    listed = EventFactory(
        title="Brussels Jazz Orchestra plays Ellington",
        venue=flagey,
        start=local(2026, 12, 5, 20),
        end=local(2026, 12, 5, 22),
    )
    EventFactory(
        title="Brussels Jazz Orchestra plays Ellington",
        venue=VenueFactory(),
        start=local(2026, 12, 5, 20),
    )  # elsewhere
    EventFactory(
        title="Brussels Jazz Orchestra plays Ellington", venue=flagey, start=local(2026, 12, 6, 20)
    )  # another evening
    EventFactory(title="Poetry reading", venue=flagey, start=local(2026, 12, 5, 20))  # other title
    new = unsaved(
        title="Ellington by the Brussels Jazz Orchestra!",
        venue=flagey,
        start=local(2026, 12, 5, 20, 30),
        end=None,
    )
    assert duplicates.likely_duplicates(new) == [listed]


def test_an_event_without_an_end_is_found_at_its_start(flagey):
    """Its dates last no time at all: still on at the very moment the new one starts."""
    listed = EventFactory(title="Jazz night", venue=flagey, start=local(2026, 12, 5, 20), end=None)
    new = unsaved(title="Jazz night", venue=flagey, start=local(2026, 12, 5, 20))
    assert duplicates.likely_duplicates(new) == [listed]


def test_a_title_in_another_language_counts(flagey):
    listed = EventFactory(
        title="Marché de Noël",
        title_nl="Kerstmarkt op het plein",
        venue=flagey,
        start=local(2026, 12, 12, 10),
        end=local(2026, 12, 12, 18),
    )
    new = unsaved(title="Kerstmarkt", venue=flagey, start=local(2026, 12, 12, 14))
    assert duplicates.likely_duplicates(new) == [listed]


def test_a_rejected_event_and_the_event_itself_are_never_suspects(flagey):
    rejected = EventFactory(
        title="Jazz night",
        venue=flagey,
        start=local(2026, 12, 5, 20),
        publication_state=Event.PublicationState.REJECTED,
    )
    itself = EventFactory(title="Jazz night", venue=flagey, start=local(2026, 12, 5, 20))
    assert duplicates.likely_duplicates(itself) == []
    assert rejected not in duplicates.likely_duplicates(
        unsaved(title="Jazz night", venue=flagey, start=local(2026, 12, 5, 20))
    )


def test_online_events_match_by_their_address():
    listed = EventFactory(
        title="Webinar on smart cities",
        venue=None,
        online_url="https://meet.example/smart",
        start=local(2026, 12, 3, 12),
    )
    same = unsaved(
        title="Smart cities webinar",
        online_url="https://meet.example/smart",
        start=local(2026, 12, 3, 12),
    )
    other = unsaved(
        title="Smart cities webinar",
        online_url="https://meet.example/other",
        start=local(2026, 12, 3, 12),
    )
    assert duplicates.likely_duplicates(same) == [listed]
    assert duplicates.likely_duplicates(other) == []


@pytest.mark.parametrize(
    ("first", "second", "similar"),
    [
        ("Le Jazz, live!", "jazz LIVE", True),
        ("Marché de Noël", "marche de noel", True),
        ("Repair Café", "Repair café Anderlecht", True),
        ("Repair Café", "Poetry night", False),
        ("", "Anything", False),
    ],
)
def test_the_word_comparison(first, second, similar):
    assert (duplicates.word_similarity(first, second) >= duplicates.WORD_OVERLAP) is similar


def test_the_form_asks_before_sending_and_sends_when_told_it_is_none(client, mailoutbox):
    recyclart = VenueFactory(name="Recyclart", slug="recyclart")
    listed = EventFactory(
        title="Repair Café",
        venue=recyclart,
        start=local(2026, 12, 1, 19),
        end=local(2026, 12, 1, 21),
    )
    response = client.post("/submit/", form_data(title="Repair Café Recyclart"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Is it one of these?" in html
    assert f'href="{listed.get_absolute_url()}"' in html
    assert 'value="Repair Café Recyclart"' in html  # everything typed is kept
    assert Event.objects.count() == 1
    sent = client.post("/submit/", form_data(title="Repair Café Recyclart", not_duplicate="1"))
    assert sent.status_code == 302
    new = Event.objects.exclude(pk=listed.pk).get()
    assert new.duplicate_of == listed  # the editors see the suspicion all the same


def test_the_form_shows_no_one_elses_pending_event_but_flags_it(client):
    recyclart = VenueFactory(name="Recyclart", slug="recyclart")
    pending = EventFactory(
        title="Repair Café",
        venue=recyclart,
        start=local(2026, 12, 1, 19),
        publication_state=Event.PublicationState.PENDING,
    )
    response = client.post("/submit/", form_data())
    assert response.status_code == 302
    assert Event.objects.exclude(pk=pending.pk).get().duplicate_of == pending


def test_the_api_answers_with_the_likely_duplicates(flagey):
    organiser = OrganiserFactory()
    token = ApiToken.objects.create(organiser=organiser).key
    listed = EventFactory(
        title="Canal clean-up",
        venue=VenueFactory(slug="kanal"),
        start=local(2026, 12, 5, 10),
        end=local(2026, 12, 5, 13),
    )
    response = authorised(token).post("/api/v1/events/", new_event(), format="json")
    assert response.status_code == 201, response.data
    assert response.data["likely_duplicates"] == [
        {
            "id": listed.pk,
            "uid": listed.uid,
            "title": "Canal clean-up",
            "url": f"http://testserver{listed.get_absolute_url()}",
        }
    ]
    assert Event.objects.get(pk=response.data["id"]).duplicate_of == listed


def test_editors_compare_and_merge_keeping_the_published_uid(admin_client, flagey, mailoutbox):
    listed = EventFactory(title="Jazz night", venue=flagey, start=local(2026, 12, 5, 20))
    new = services.event_submit(
        event=Event(
            title="Jazz Night at Flagey",
            venue=flagey,
            start=local(2026, 12, 5, 20),
            end=local(2026, 12, 5, 23),
        ),
        organiser=OrganiserFactory(),
    )
    assert new.duplicate_of == listed
    queue = admin_client.get(reverse("admin:diary_submission_changelist")).content.decode()
    compare = reverse("admin:diary_submission_duplicate", args=[new.pk])
    assert compare in queue
    page = admin_client.get(compare).content.decode()
    assert "Jazz Night at Flagey" in page and listed.uid in page and new.uid in page
    response = admin_client.post(compare, {"merge": "1"})
    assert response.status_code == 302
    listed.refresh_from_db()
    new.refresh_from_db()
    assert listed.is_published and listed.duplicate_of is None
    assert new.publication_state == Event.PublicationState.REJECTED
    assert new.duplicate_of == listed
    assert "duplicate" in new.rejection_reason and listed.get_absolute_url() in new.rejection_reason


def test_of_two_unpublished_the_older_stays(flagey):
    older = EventFactory(
        title="Jazz night",
        venue=flagey,
        start=local(2026, 12, 5, 20),
        publication_state=Event.PublicationState.PENDING,
    )
    newer = EventFactory(
        title="Jazz night",
        venue=flagey,
        start=local(2026, 12, 5, 20),
        publication_state=Event.PublicationState.PENDING,
    )
    services.duplicate_flag(event=newer)
    assert services.duplicate_merge(event=newer) == older
    newer.refresh_from_db()
    assert newer.publication_state == Event.PublicationState.REJECTED


def test_not_a_duplicate_is_not_suspected_again(admin_client, flagey):
    EventFactory(title="Jazz night", venue=flagey, start=local(2026, 12, 5, 20))
    new = jazz_night_sent(flagey)
    compare = reverse("admin:diary_submission_duplicate", args=[new.pk])
    assert admin_client.post(compare, {"distinct": "1"}).status_code == 302
    new.refresh_from_db()
    assert (new.duplicate_of, new.not_duplicate) == (None, True)
    assert services.duplicate_flag(event=new) == []
    new.refresh_from_db()
    assert new.duplicate_of is None


def test_the_queue_action_dismisses_in_bulk(admin_client, flagey):
    EventFactory(title="Jazz night", venue=flagey, start=local(2026, 12, 5, 20))
    new = jazz_night_sent(flagey)
    admin_client.post(
        reverse("admin:diary_submission_changelist"),
        {"action": "not_duplicates", "_selected_action": [new.pk]},
    )
    new.refresh_from_db()
    assert new.not_duplicate and new.duplicate_of is None


ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test//EN
BEGIN:VEVENT
UID:{uid}-1@partner.example
DTSTART;TZID=Europe/Brussels:20261205T200000
DTEND;TZID=Europe/Brussels:20261205T220000
SUMMARY:Jazz Night at Flagey
LOCATION:Flagey
END:VEVENT
BEGIN:VEVENT
UID:{uid}-2@partner.example
DTSTART;TZID=Europe/Brussels:20261205T203000
DTEND;TZID=Europe/Brussels:20261205T223000
SUMMARY:Jazz night (second set)
LOCATION:Flagey
END:VEVENT
END:VCALENDAR
"""


def test_import_ics_reports_duplicates_of_other_sources_only(tmp_path: Path, flagey, capsys):
    listed = EventFactory(title="Jazz night", venue=flagey, start=local(2026, 12, 5, 20))
    path = tmp_path / "partner.ics"
    path.write_text(ICS.format(uid="a"))
    call_command("import_ics", str(path))
    out = capsys.readouterr().out
    assert out.count("Likely duplicate:") == 2
    assert f"(UID {listed.uid}, sent by its organiser)" in out
    # The calendar's own two sets are not each other's duplicates.
    assert "UID a-2@partner.example, " not in out
    assert "2 likely duplicates" in out


def test_a_suspicion_of_an_event_rejected_since_is_dropped_not_merged(admin_client, flagey):
    listed = EventFactory(
        title="Jazz night",
        venue=flagey,
        start=local(2026, 12, 5, 20),
        publication_state=Event.PublicationState.PENDING,
    )
    new = jazz_night_sent(flagey)
    services.event_reject(event=listed, reason="Spam")
    new.refresh_from_db()
    with pytest.raises(ValueError):
        services.duplicate_merge(event=new)
    compare = reverse("admin:diary_submission_duplicate", args=[new.pk])
    assert admin_client.post(compare, {"merge": "1"}).status_code == 302
    new.refresh_from_db()
    assert new.duplicate_of is None and new.publication_state == Event.PublicationState.PENDING
