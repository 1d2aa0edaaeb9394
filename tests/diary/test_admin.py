import pytest
from django.urls import reverse
from django.utils import timezone, translation

from diary import services
from diary.forms import rule_in_words
from diary.models import Change, Event
from tests.factories import (
    CategoryFactory,
    EventFactory,
    OrganiserFactory,
    TagFactory,
    VenueFactory,
    local,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(admin_client):
    return admin_client


def event_form(**overrides) -> dict:
    """What the admin's add form posts for a weekly concert."""
    data = {
        "title_en": "Tuesday Jazz",
        "slug": "tuesday-jazz",
        "category": CategoryFactory().pk,
        "venue": VenueFactory().pk,
        "online_url": "",
        "timezone": "Europe/Brussels",
        "start_0": "2026-12-01",
        "start_1": "19:00:00",
        "end_0": "2026-12-01",
        "end_1": "21:00:00",
        "rrule": "FREQ=WEEKLY;COUNT=4",
        "rdates": "",
        "exdates": "2026-12-15",
        "price_min": "",
        "price_max": "",
        "ticket_url": "",
        "image_alt": "",
        "min_age": "",
        "max_age": "",
        "status": "scheduled",
        "text_language": "en",
        "publication_state": "published",
        "occurrences-TOTAL_FORMS": "0",
        "occurrences-INITIAL_FORMS": "0",
        "occurrences-MIN_NUM_FORMS": "0",
        "occurrences-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_the_event_list_filters_by_state_status_category_venue_and_date(editor):
    EventFactory(title="Shown", status=Event.Status.CANCELLED)
    EventFactory(title="Waiting", publication_state=Event.PublicationState.PENDING)
    url = reverse("admin:diary_event_changelist")
    response = editor.get(url, {"publication_state__exact": "pending"})
    assert response.status_code == 200
    assert [e.title for e in response.context["cl"].result_list] == ["Waiting"]
    response = editor.get(url, {"status__exact": "cancelled"})
    assert [e.title for e in response.context["cl"].result_list] == ["Shown"]
    for params in ({"category__id__exact": "1"}, {"start__year": "2026"}, {"q": "Shown"}):
        assert editor.get(url, params).status_code == 200


def test_an_editor_adds_a_recurring_event_and_its_dates_appear(editor):
    response = editor.post(reverse("admin:diary_event_add"), event_form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = Event.objects.get(slug="tuesday-jazz")
    assert event.exdates == ["2026-12-15"]
    assert [o.start for o in event.occurrences.order_by("start")] == [
        local(2026, 12, 1, 19),
        local(2026, 12, 8, 19),
        local(2026, 12, 22, 19),
    ]


def test_a_bad_rule_in_the_admin_shows_a_message_and_saves_nothing(editor):
    response = editor.post(reverse("admin:diary_event_add"), event_form(rrule="EVERY TUESDAY"))
    assert response.status_code == 200
    assert "is not of the form NAME=VALUE" in response.content.decode()
    assert not Event.objects.exists()


def test_a_bad_exception_date_in_the_admin_shows_a_message(editor):
    response = editor.post(reverse("admin:diary_event_add"), event_form(exdates="15 Dec 2026"))
    assert response.status_code == 200
    assert "is not a date (2026-12-24)" in response.content.decode()
    assert not Event.objects.exists()


def test_an_end_before_the_start_in_the_admin_shows_a_message(editor):
    response = editor.post(reverse("admin:diary_event_add"), event_form(end_1="18:00:00"))
    assert response.status_code == 200
    assert "The end must be after the start." in response.content.decode()
    assert not Event.objects.exists()


def test_all_day_events_take_the_last_day_and_store_midnight_after_it(editor):
    data = event_form(all_day="on", rrule="", exdates="", end_0="2026-12-03", end_1="00:00:00")
    response = editor.post(reverse("admin:diary_event_add"), data)
    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.start, event.end) == (local(2026, 12, 1), local(2026, 12, 4))
    change = editor.get(reverse("admin:diary_event_change", args=[event.pk]))
    assert change.context["adminform"].form.initial["end"] == local(2026, 12, 3)


def test_editing_the_time_in_the_admin_raises_the_sequence(editor):
    editor.post(reverse("admin:diary_event_add"), event_form())
    event = Event.objects.get()
    url = reverse("admin:diary_event_change", args=[event.pk])
    response = editor.post(url, event_form(start_1="20:00:00", end_1="22:00:00"))
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.sequence == 1
    assert event.occurrences.first().start == local(2026, 12, 1, 20)


def test_the_change_page_shows_upcoming_occurrences_read_only(editor):
    event = EventFactory(rrule="FREQ=DAILY;COUNT=3")
    response = editor.get(reverse("admin:diary_event_change", args=[event.pk]))
    assert response.status_code == 200
    inline = response.context["inline_admin_formsets"][0]
    assert inline.formset.queryset.count() == 3
    assert not inline.has_add_permission
    assert not inline.has_delete_permission


@pytest.mark.parametrize(
    ("action", "field", "value"),
    [
        ("approve", "publication_state", Event.PublicationState.PUBLISHED),
        ("reject", "publication_state", Event.PublicationState.REJECTED),
        ("cancel", "status", Event.Status.CANCELLED),
    ],
)
def test_bulk_moderation_actions(editor, action, field, value):
    events = EventFactory.create_batch(2, publication_state=Event.PublicationState.PENDING)
    data = {"action": action, "_selected_action": [e.pk for e in events]}
    if action == "reject":
        data["reason"] = "Not in the city."
    response = editor.post(reverse("admin:diary_event_changelist"), data, follow=True)
    assert response.status_code == 200
    assert {getattr(e, field) for e in Event.objects.all()} == {value}
    assert "2 events" in response.content.decode()


def test_approving_records_the_publication_time(editor):
    event = EventFactory(publication_state=Event.PublicationState.PENDING)
    editor.post(
        reverse("admin:diary_event_changelist"),
        {"action": "approve", "_selected_action": [event.pk]},
    )
    event.refresh_from_db()
    assert event.published_at is not None


def test_tags_and_articles_are_found_by_autocomplete(editor):
    TagFactory(name="smart city", slug="smart-city")
    response = editor.get(
        reverse("admin:autocomplete"),
        {"term": "smart", "app_label": "diary", "model_name": "event", "field_name": "tags"},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["smart city"]
    response = editor.get(
        reverse("admin:autocomplete"),
        {
            "term": "x",
            "app_label": "diary",
            "model_name": "event",
            "field_name": "related_articles",
        },
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "name",
    [
        "diary_category",
        "diary_tag",
        "diary_language",
        "diary_organiser",
        "diary_article",
        "venues_venue",
        "venues_municipality",
    ],
)
def test_every_admin_list_and_add_page_opens(editor, name):
    assert editor.get(reverse(f"admin:{name}_changelist"), {"q": "a"}).status_code == 200
    assert editor.get(reverse(f"admin:{name}_add")).status_code == 200


def test_times_typed_in_the_admin_are_in_the_events_time_zone(editor):
    data = event_form(timezone="America/New_York", rrule="", exdates="")
    response = editor.post(reverse("admin:diary_event_add"), data)
    assert response.status_code == 302
    event = Event.objects.get()
    new_york = event.tzinfo
    assert event.start.astimezone(new_york).strftime("%Y-%m-%d %H:%M") == "2026-12-01 19:00"
    change = editor.get(reverse("admin:diary_event_change", args=[event.pk]))
    shown = change.context["adminform"].form.initial["start"]
    assert shown.strftime("%Y-%m-%d %H:%M") == "2026-12-01 19:00"


def test_saving_an_unchanged_event_in_the_admin_leaves_the_sequence(editor):
    data = event_form(timezone="America/New_York", all_day="on", end_0="2026-12-03")
    editor.post(reverse("admin:diary_event_add"), data)
    event = Event.objects.get()
    response = editor.post(reverse("admin:diary_event_change", args=[event.pk]), data)
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.sequence == 0
    assert event.end.astimezone(event.tzinfo).strftime("%Y-%m-%d %H:%M") == "2026-12-04 00:00"


def test_rejecting_asks_for_the_reason_and_emails_it(editor, mailoutbox):
    organiser = OrganiserFactory(email="org@example.org")
    event = EventFactory(publication_state=Event.PublicationState.PENDING, organiser=organiser)
    url = reverse("admin:diary_submission_changelist")
    asked = editor.post(url, {"action": "reject", "_selected_action": [event.pk]})
    assert asked.status_code == 200
    assert 'name="reason"' in asked.content.decode()
    event.refresh_from_db()
    assert event.publication_state == Event.PublicationState.PENDING
    editor.post(url, {"action": "reject", "_selected_action": [event.pk], "reason": "Duplicate."})
    event.refresh_from_db()
    assert (event.publication_state, event.rejection_reason) == ("rejected", "Duplicate.")
    [mail] = mailoutbox
    assert mail.to == ["org@example.org"]
    assert "Duplicate." in mail.body
    assert "/submit/manage/" in mail.body


def test_the_moderation_queue_lists_pending_events_oldest_first(editor, mailoutbox):
    older = EventFactory(
        title="Older",
        publication_state=Event.PublicationState.PENDING,
        venue=None,
        venue_proposal="Atelier 34zero, Rue de la Senne 34",
        organiser=OrganiserFactory(),
    )
    EventFactory(title="Newer", publication_state=Event.PublicationState.PENDING)
    EventFactory(title="Published")
    response = editor.get(reverse("admin:diary_submission_changelist"))
    assert [e.title for e in response.context["cl"].result_list] == ["Older", "Newer"]
    assert "Atelier 34zero" in response.content.decode()
    change = editor.get(reverse("admin:diary_submission_change", args=[older.pk]))
    assert change.status_code == 200
    editor.post(
        reverse("admin:diary_submission_changelist"),
        {"action": "approve", "_selected_action": [older.pk]},
    )
    older.refresh_from_db()
    assert older.is_published
    assert "is now published" in mailoutbox[-1].body


def test_a_change_to_a_published_event_is_moderated_in_the_queue(editor, mailoutbox):
    from diary import services

    event = EventFactory(title="Jazz", ticket_url="https://tickets.example/")
    event.title, event.ticket_url = "Jazz (new room)", "https://phishing.example/"
    services.event_resubmit(event=event, proven=False)
    queue = editor.get(reverse("admin:diary_submission_changelist"))
    assert [e.title for e in queue.context["cl"].result_list] == ["Jazz"]
    assert "a change to a published event" in queue.content.decode()
    change = editor.get(reverse("admin:diary_submission_change", args=[event.pk]))
    html = change.content.decode()
    assert "Jazz (new room)" in html and "https://phishing.example/" in html
    editor.post(
        reverse("admin:diary_submission_changelist"),
        {"action": "approve", "_selected_action": [event.pk]},
    )
    event.refresh_from_db()
    assert (event.title, event.pending_change, event.is_published) == (
        "Jazz (new room)",
        None,
        True,
    )
    assert not editor.get(reverse("admin:diary_submission_changelist")).context["cl"].result_list


# Issue 13, points 15 and 16: moderating one submission, as an editor does


def pending_event(**overrides):
    from diary.models import Organiser

    organiser, _ = Organiser.objects.get_or_create(
        email="collectif@example.org", defaults={"name": "Collectif"}
    )
    return EventFactory(
        publication_state=Event.PublicationState.PENDING, organiser=organiser, **overrides
    )


def test_a_submission_page_has_approve_and_reject_buttons(editor, mailoutbox):
    event = pending_event()
    url = reverse("admin:diary_submission_change", args=[event.pk])
    html = editor.get(url).content.decode()
    assert "Approve and publish" in html and "Reject…" in html
    editor.post(reverse("admin:diary_submission_approve", args=[event.pk]))
    event.refresh_from_db()
    assert event.is_published
    other = pending_event(title="Other")
    asked = editor.get(reverse("admin:diary_submission_reject", args=[other.pk]))
    page = asked.content.decode()
    assert "<h1>" in page and "Reject" in page
    assert reverse("admin:diary_submission_change", args=[other.pk]) in page  # the way back
    editor.post(reverse("admin:diary_submission_reject", args=[other.pk]), {"reason": "Spam."})
    other.refresh_from_db()
    assert other.publication_state == Event.PublicationState.REJECTED
    assert "Spam." in mailoutbox[-1].body


def test_the_bulk_reject_page_has_a_heading_and_a_way_back(editor):
    event = pending_event()
    page = editor.post(
        reverse("admin:diary_submission_changelist"),
        {"action": "reject", "_selected_action": [event.pk]},
    ).content.decode()
    assert "<h1>" in page
    assert f'href="{reverse("admin:diary_submission_changelist")}"' in page


def test_delete_is_not_the_first_action(editor):
    import re

    pending_event()
    for name in ("submission", "event"):
        html = editor.get(reverse(f"admin:diary_{name}_changelist")).content.decode()
        select = html.split('name="action"')[1].split("</select>")[0]
        actions = re.findall(r'<option value="([a-z_]+)"', select)
        assert actions[0] == "approve"
        assert "delete_selected" not in actions[:-1]


def test_the_queue_shows_status_repetition_image_and_which_organiser(editor):
    pending_event(title="Called off", status=Event.Status.CANCELLED)
    pending_event(title="Weekly", rrule="FREQ=WEEKLY;COUNT=4")
    OrganiserFactory(name="Collectif", email="someone-else@example.org")
    html = editor.get(reverse("admin:diary_submission_changelist")).content.decode()
    assert "Cancelled" in html
    assert "Every week, 4 times" in html
    assert "collectif@example.org" in html


def test_approving_a_cancelled_submission_leaves_it_and_says_why(editor, mailoutbox):
    event = pending_event(status=Event.Status.CANCELLED)
    response = editor.post(
        reverse("admin:diary_submission_changelist"),
        {"action": "approve", "_selected_action": [event.pk]},
        follow=True,
    )
    event.refresh_from_db()
    assert not event.is_published
    assert "cancelled" in response.content.decode().lower()
    assert not mailoutbox


def test_the_events_list_opens_on_the_latest_dates(editor):
    EventFactory(title="Old", start=local(2016, 10, 20, 19))
    EventFactory(title="New")
    response = editor.get(reverse("admin:diary_event_changelist"))
    assert next(e.title for e in response.context["cl"].result_list) == "New"


def test_view_on_site_of_a_pending_event_is_a_preview_for_editors_only(editor, client):
    event = pending_event(title="Not yet public")
    change = editor.get(reverse("admin:diary_submission_change", args=[event.pk])).content.decode()
    preview = reverse("admin:diary_submission_preview", args=[event.pk])
    assert preview in change
    page = editor.get(preview)
    assert page.status_code == 200
    assert "Not yet public" in page.content.decode()
    assert "not published" in page.content.decode()
    assert client.get(preview).status_code == 302  # to the login page
    assert client.get(event.get_absolute_url()).status_code == 404


def test_the_publication_state_changes_only_through_the_buttons_and_actions(editor, mailoutbox):
    event = pending_event()
    url = reverse("admin:diary_event_change", args=[event.pk])
    form = editor.get(url).content.decode()
    assert 'name="publication_state"' not in form
    editor.post(
        url,
        event_form(
            title=event.title,
            slug=event.slug,
            organiser=event.organiser_id,
            publication_state="published",
        ),
    )
    event.refresh_from_db()
    assert event.publication_state == Event.PublicationState.PENDING
    assert not mailoutbox
    editor.post(reverse("admin:diary_event_approve", args=[event.pk]))
    event.refresh_from_db()
    assert event.is_published
    [mail] = mailoutbox
    assert "is in the agenda" in mail.subject


def test_the_queue_says_and_filters_the_language_of_each_submission(editor):
    pending_event(title="Concert du soir", text_language="fr")
    pending_event(title="Avondconcert", text_language="nl")
    url = reverse("admin:diary_submission_changelist")
    page = editor.get(url).content.decode()
    assert "Concert du soir" in page and "Avondconcert" in page
    dutch_only = editor.get(url, {"text_language__exact": "nl"}).content.decode()
    assert "Avondconcert" in dutch_only and "Concert du soir" not in dutch_only


# Issue 30, point 6: the editors' flow


def test_an_editor_approves_and_rejects_three_items_in_a_row_without_leaving_the_queue(
    editor, mailoutbox
):
    """After *Approve and publish* the editor landed on the admin home with "Submission
    « 3002 » does not exist" and lost the queue."""
    first, second, third = (pending_event(title=title) for title in ("One", "Two", "Three"))
    change = "admin:diary_submission_change"
    response = editor.post(reverse("admin:diary_submission_approve", args=[first.pk]))
    assert response["Location"] == reverse(change, args=[second.pk])
    page = editor.get(response["Location"]).content.decode()
    assert "1 event published: “One”." in page
    response = editor.post(
        reverse("admin:diary_submission_reject", args=[second.pk]), {"reason": "Spam."}
    )
    assert response["Location"] == reverse(change, args=[third.pk])
    assert "1 event rejected: “Two”." in editor.get(response["Location"]).content.decode()
    response = editor.post(reverse("admin:diary_submission_approve", args=[third.pk]))
    assert response["Location"] == reverse("admin:diary_submission_changelist")  # none left
    # From the list of all events, an approved event is still there: back to it.
    other = pending_event(title="Four")
    response = editor.post(reverse("admin:diary_event_approve", args=[other.pk]))
    assert response["Location"] == reverse("admin:diary_event_change", args=[other.pk])


def test_the_admin_home_counts_what_waits_and_the_queue_filters_duplicates(editor):
    original = EventFactory(title="Jazz at Flagey")
    pending_event(title="New one")
    copy = pending_event(title="Jazz at Flagey")
    Event.objects.filter(pk=copy.pk).update(duplicate_of=original)
    changed = EventFactory(title="Published")
    Event.objects.filter(pk=changed.pk).update(pending_change={"fields": {"title_en": "New"}})
    home = editor.get(reverse("admin:index")).content.decode()
    assert "2 new submissions" in home
    assert "1 change to a published event" in home
    assert f'href="{reverse("admin:diary_submission_changelist")}?duplicate=yes"' in home
    assert "1 likely duplicate" in home
    listed = editor.get(reverse("admin:diary_submission_changelist"), {"duplicate": "yes"})
    assert [event.pk for event in listed.context["cl"].result_list] == [copy.pk]


def test_the_queue_states_rules_in_words_and_times_in_the_citys_zone(editor):
    event = pending_event(
        title="Repair Café",
        start=local(2026, 12, 1, 10, 30),
        end=local(2026, 12, 1, 12),
        rrule="FREQ=WEEKLY;BYDAY=TU;UNTIL=20261222",
    )
    html = editor.get(reverse("admin:diary_submission_changelist")).content.decode()
    assert "Every week on Tuesday, until 22 December 2026" in html
    assert "FREQ=WEEKLY" not in html
    services.event_publish(event=event)
    event.refresh_from_db()
    Event.objects.filter(pk=event.pk).update(
        pending_change={"fields": {"start": "2026-12-01T09:30:00+00:00"}}
    )
    page = editor.get(reverse("admin:diary_submission_change", args=[event.pk]))
    html = page.content.decode()
    table = html.split("<th>proposed</th>")[1].split("</table>")[0]
    assert "+00:00" not in table and "09:30" not in table
    assert "10:30" in table
    with translation.override("fr"):
        assert rule_in_words(event.rrule) == "Chaque semaine le mardi, jusqu’au 22 décembre 2026"


def test_picking_asks_for_the_reason_the_card_shows(editor):
    event = EventFactory(title="Jazz")
    changelist = reverse("admin:diary_event_changelist")
    asked = editor.post(changelist, {"action": "pick", "_selected_action": [event.pk]})
    assert 'name="reason_fr"' in asked.content.decode()
    event.refresh_from_db()
    assert not event.is_pick
    editor.post(
        changelist,
        {
            "action": "pick",
            "_selected_action": [event.pk],
            "picked": "yes",
            "reason_fr": "Le meilleur trio de la ville",
            "reason_nl": "",
            "reason_en": "The best trio in town\nreally",
        },
    )
    event.refresh_from_db()
    assert event.is_pick
    assert event.pick_reason_fr == "Le meilleur trio de la ville"
    assert event.pick_reason_en == "The best trio in town really"


def test_admin_column_headers_are_translated(editor):
    EventFactory(title="Jazz")
    html = editor.get(
        reverse("admin:diary_event_changelist"), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "column-title" in html
    header = html.split('class="column-title"')[1].split("</th>")[0]
    assert "titre" in header.lower() and "title" not in header.lower()


# Every write of the admin is recorded by the service that makes it (no signal does).


def test_the_admin_records_what_it_writes_through_the_services(editor):
    """An event's tags, a venue's new name, a deleted event and tag: each one change of the
    journal, touching the public events that show it."""
    tag = TagFactory(slug="jazz", name="Jazz")
    event = EventFactory(title="Tuesday Jazz")
    url = reverse("admin:diary_event_change", args=[event.pk])
    start, end = timezone.localtime(event.start), timezone.localtime(event.end)
    data = event_form(category=event.category_id, venue=event.venue_id, slug=event.slug,
                      start_0=f"{start:%Y-%m-%d}", start_1=f"{start:%H:%M:%S}",
                      end_0=f"{end:%Y-%m-%d}", end_1=f"{end:%H:%M:%S}", rrule="",
                      exdates="", tags=[tag.pk])  # fmt: skip
    assert editor.post(url, data).status_code == 302
    change = Change.objects.first()
    assert (change.action, change.fields, change.door) == ("edited", ["tags"], "admin")
    assert list(change.events.values_list("uid", flat=True)) == [event.uid]

    venue = event.venue
    venue_data = {
        "name_en": "Flagey Studio 4", "name_fr": "", "name_nl": "", "slug": venue.slug,
        "street_address_en": venue.street_address, "street_address_fr": "",
        "street_address_nl": "", "postal_code": venue.postal_code,
        "municipality": venue.municipality_id, "description": "",
    }  # fmt: skip
    response = editor.post(reverse("admin:venues_venue_change", args=[venue.pk]), venue_data)
    assert response.status_code == 302, response.content.decode()[:3000]
    change = Change.objects.first()
    assert change.subject.startswith("venue") and "name_en" in change.fields
    assert list(change.events.values_list("uid", flat=True)) == [event.uid]
    event.refresh_from_db()
    assert "flagey studio 4" in event.search_text

    for model, obj in (("diary_tag", tag), ("diary_event", event)):
        chosen = {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
        editor.post(reverse(f"admin:{model}_changelist"), chosen)
        change = Change.objects.first()
        assert change.action == "deleted"
        assert list(change.events.values_list("uid", flat=True)) == [event.uid]
    assert not Event.objects.filter(pk=event.pk).exists()


def test_no_signal_handler_of_ours_writes_anything():
    """Writes are the services' (STYLE.md): a queryset's update() skips a signal, and a walk
    of a service would not show what a receiver does."""
    from django.db.models import signals

    from diary.models import Article
    from venues.models import Venue

    for signal in (signals.pre_save, signals.post_save, signals.pre_delete, signals.post_delete,
                   signals.m2m_changed):  # fmt: skip
        for model in (Event, Venue, Article, Event.tags.through):
            apps = {
                receiver.__module__.split(".")[0] for receiver in signal._live_receivers(model)[0]
            }
            assert not apps & {"diary", "venues", "feeds", "common", "config"}, (signal, model)
