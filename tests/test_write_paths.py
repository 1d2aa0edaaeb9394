"""One write path: random sequences of writes through every door, checked after each step.

The doors: the submission form, the manage link (mailed, so proven, or handed out after the
form, so not), the API (organisers' tokens), the admin (its form, its approve, reject,
cancel and delete actions, a category's form) and the iCal import, for a trusted and an
untrusted organiser. After every step:

- no words an untrusted organiser wrote are public (pages, API and feeds share one
  queryset; the feeds are read too) unless an editor approved them;
- no rule is lost: every version of an event (public and proposed) keeps its rule;
- each feed's ETag changes exactly when its body changes;
- `updated_since` returns every event whose public view changed, tombstones included;
- the editors' picks are the events an editor picked (an organiser's door that sends
  `is_pick` changes nothing);
- each event's occurrence rows are its rule's expansion.
"""

import os
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from rest_framework.throttling import SimpleRateThrottle

from common.translation import columns
from diary import services
from diary.api.serializers import EventSerializer
from diary.models import ApiToken, Category, Event
from feeds import ical
from feeds.importers import import_calendar
from tests.factories import OrganiserFactory, VenueFactory, started

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 11, 9, tzinfo=UTC)
START = "2027-01-20T19:00"
FEEDS = ("/feeds/events.ics", "/feeds/categories/music.ics")
# No rule, and two the form's plain words cannot say (kept as "custom repetition").
RULES = ("", "FREQ=DAILY;COUNT=3", "FREQ=MINUTELY;INTERVAL=30;COUNT=4")
SUMMARY = re.compile(r"^SUMMARY:(.*)\r$", re.MULTILINE)


class PublicView(EventSerializer):
    """An event as the API shows it, without its next dates (they move with the clock)."""

    upcoming = None

    class Meta(EventSerializer.Meta):
        fields = [name for name in EventSerializer.Meta.fields if name != "upcoming"]


def public_view() -> dict[str, dict]:
    events = Event.objects.published().select_related("venue", "category", "organiser")
    return {
        event.uid: PublicView(event, context={"request": None}).data
        for event in events.prefetch_related("tags", "languages")
    }


def same_rule(rule: str) -> frozenset[str]:
    """A rule's parts, whatever their order (an import writes them as the file has them)."""
    return frozenset(filter(None, rule.split(";")))


def local_minutes(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%dT%H:%M}"


class WritePaths(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        self.words = 0
        self.web = Client()
        self.editor = Client()
        self.editor.force_login(
            get_user_model().objects.create_superuser("editor", "editor@example.org", "pw")
        )
        self.organisers = {
            trusted: OrganiserFactory(is_trusted=trusted, email=f"{trusted}@example.org".lower())
            for trusted in (True, False)
        }
        self.tokens = {
            organiser.pk: ApiToken.objects.create(organiser=organiser).key
            for organiser in self.organisers.values()
        }
        self.music = Category.objects.get(slug="music")
        self.venue = VenueFactory(name="Flagey", slug="flagey")
        self.vetted: set[str] = set()  # words an editor approved or a proven trusted hand wrote
        self.rules: dict[str, str] = {}  # the rule each event must keep, in every version
        self.feeds = {url: self.feed(url) for url in FEEDS}
        self.public = public_view()
        self.withdrawn: set[str] = set()  # what an editor took out of public view this step
        self.picked: set[str] = set()  # the events an editor picked (and did not unpick)
        self.since = timezone.now()

    def teardown(self):
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # Helpers

    def new_words(self) -> str:
        self.words += 1
        return f"Words {self.words}"

    def feed(self, url: str) -> tuple[str, str]:
        response = self.web.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return response["ETag"], body.decode()

    def pick(self, data, events=None) -> Event:
        events = Event.objects.all() if events is None else events
        pks = sorted(events.values_list("pk", flat=True))
        return Event.objects.select_related("organiser").get(pk=data.draw(st.sampled_from(pks)))

    def has_events(self) -> bool:
        return Event.objects.exists()

    def has_organised_events(self) -> bool:
        return Event.objects.filter(organiser__isnull=False).exists()

    def manage_form(self, event: Event, title: str) -> dict:
        """What the manage page posts when the organiser changes only the title."""
        shown = event.with_pending_change()
        return {
            "organiser_name": event.organiser.name,
            "organiser_email": event.organiser.email,
            "title": title,
            "summary": shown.summary,
            "description": shown.description,
            "category": shown.category_id or self.music.pk,  # the form asks for one
            "venue_name": self.venue.name,
            "start": local_minutes(shown.start),
            "end": local_minutes(shown.end),
            "repeat": "custom" if shown.rrule else "",
            "is_pick": "" if event.is_pick else "on",  # neither way the organiser's to say
            "started": started(),
            "website_url": "",
        }

    def admin_form(self, event: Event, title: str) -> dict:
        """What the admin's change form posts when an editor changes only the title."""
        start, end = timezone.localtime(event.start), timezone.localtime(event.end)
        return {
            **{column: getattr(event, column) for column in columns("summary", "description")},
            **{column: getattr(event, column) for column in columns("title", "pick_reason")},
            f"title_{event.text_language}": title,
            "is_pick": "on" if event.is_pick else "",
            "slug": event.slug,
            "category": event.category_id or "",
            "tags": list(event.tags.values_list("pk", flat=True)),
            "venue": event.venue_id or "",
            "online_url": event.online_url,
            "timezone": event.timezone,
            "start_0": f"{start:%Y-%m-%d}",
            "start_1": f"{start:%H:%M:%S}",
            "end_0": f"{end:%Y-%m-%d}",
            "end_1": f"{end:%H:%M:%S}",
            "rrule": event.rrule,
            "rdates": "",
            "exdates": "",
            "is_free": "on" if event.is_free else "",
            "price_min": "",
            "price_max": "",
            "ticket_url": "",
            "image_alt": "",
            "min_age": "",
            "max_age": "",
            "organiser": event.organiser_id or "",
            "text_language": event.text_language,
            "status": event.status,
            "occurrences-TOTAL_FORMS": "0",
            "occurrences-INITIAL_FORMS": "0",
            "occurrences-MIN_NUM_FORMS": "0",
            "occurrences-MAX_NUM_FORMS": "1000",
        }

    def action(self, name: str, event: Event, **extra) -> None:
        response = self.editor.post(
            reverse("admin:diary_event_changelist"),
            {"action": name, "_selected_action": [event.pk], **extra},
        )
        assert response.status_code in (200, 302), response.status_code

    # The doors

    @rule(trusted=st.booleans(), rrule=st.sampled_from(RULES))
    def api_create(self, trusted, rrule):
        title = self.new_words()
        response = self.web.post(
            "/api/v1/events/",
            {
                "title": title,
                "category": "music",
                "venue": "flagey",
                "start": f"{START}:00+01:00",
                "end": "2027-01-20T20:00:00+01:00",
                "rrule": rrule,
                "is_free": True,
                "is_pick": True,  # not the organiser's to say
            },
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {self.tokens[self.organisers[trusted].pk]}",
        )
        assert response.status_code == 201, response.content
        self.rules[response.json()["uid"]] = rrule
        if trusted:
            self.vetted.add(title)

    @rule(trusted_address=st.booleans())
    def form_submit(self, trusted_address):
        title = self.new_words()
        organiser = self.organisers[trusted_address]
        response = self.web.post(
            "/submit/",
            {
                "organiser_name": organiser.name,
                "organiser_email": organiser.email,  # typed: it proves nothing
                "title": title,
                "category": self.music.pk,
                "venue_name": self.venue.name,
                "start": START,
                "end": "2027-01-20T21:00",
                "repeat": "",
                "is_free": "on",
                "is_pick": "on",  # not the organiser's to say
                "started": started(),
                "website_url": "",
                # Same venue, same time: the form would first ask "Is it one of these?"
                # (diary.duplicates); the organiser answers that it is none.
                "not_duplicate": "1",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        self.rules[Event.objects.get(title_en=title).uid] = ""

    @precondition(has_organised_events)
    @rule(data=st.data(), proven=st.booleans())
    def manage_edit(self, data, proven):
        event = self.pick(data, Event.objects.filter(organiser__isnull=False))
        title = self.new_words()
        url = reverse("diary:submission-manage", args=[services.manage_token(event, proven=proven)])
        response = self.web.post(url, self.manage_form(event, title))
        assert response.status_code == 302, response.content.decode()[:3000]
        if proven and event.organiser.is_trusted:
            self.vetted.add(title)

    @precondition(has_organised_events)
    @rule(data=st.data())
    def api_edit(self, data):
        event = self.pick(data, Event.objects.filter(organiser__isnull=False))
        title = self.new_words()
        response = self.web.patch(
            f"/api/v1/events/{event.pk}/",
            {"title": title},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {self.tokens[event.organiser_id]}",
        )
        assert response.status_code == 200, response.content
        if event.organiser.is_trusted:
            self.vetted.add(title)

    @precondition(has_organised_events)
    @rule(data=st.data())
    def api_cancel(self, data):
        event = self.pick(data, Event.objects.filter(organiser__isnull=False))
        response = self.web.delete(
            f"/api/v1/events/{event.pk}/",
            HTTP_AUTHORIZATION=f"Token {self.tokens[event.organiser_id]}",
        )
        assert response.status_code == 204

    @precondition(has_events)
    @rule(data=st.data())
    def editor_approves(self, data):
        event = self.pick(data)
        seen = {event.title, event.with_pending_change().title}
        self.action("approve", event)
        if Event.objects.get(pk=event.pk).is_published:
            self.vetted |= seen  # an editor read and approved them

    @precondition(has_events)
    @rule(data=st.data())
    def editor_rejects(self, data):
        event = self.pick(data)
        if event.pending_change is None:
            self.withdrawn.add(event.uid)  # rejecting a change keeps the event public
        self.action("reject", event, reason="Not for the diary.")

    @precondition(has_events)
    @rule(data=st.data())
    def editor_cancels(self, data):
        self.action("cancel", self.pick(data))

    @precondition(has_events)
    @rule(data=st.data(), picked=st.booleans())
    def editor_picks(self, data, picked):
        event = self.pick(data)
        if picked:  # the pick action asks why first; the editor gives a reason
            self.action("pick", event, picked="yes", reason_en="Worth the trip.")
        else:
            self.action("unpick", event)
        (self.picked.add if picked else self.picked.discard)(event.uid)

    @precondition(has_events)
    @rule(data=st.data())
    def editor_deletes(self, data):
        event = self.pick(data)
        self.withdrawn.add(event.uid)
        self.picked.discard(event.uid)
        self.action("delete_selected", event, post="yes")

    @precondition(has_events)
    @rule(data=st.data())
    def editor_edits(self, data):
        event = self.pick(data)
        title = self.new_words()
        response = self.editor.post(
            reverse("admin:diary_event_change", args=[event.pk]), self.admin_form(event, title)
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        self.vetted.add(title)

    @rule(name=st.sampled_from(["Music", "Live music", "Concerts"]))
    def editor_renames_the_category(self, name):
        response = self.editor.post(
            reverse("admin:diary_category_change", args=[self.music.pk]),
            {  # the form as shown, the English name changed
                **{column: getattr(self.music, column) for column in columns("name")},
                "name_en": name,
                "slug": "music",
                "position": self.music.position,
            },
        )
        assert response.status_code == 302

    @rule(
        trusted=st.booleans(),
        publish=st.booleans(),
        number=st.integers(1, 3),
        rrule=st.sampled_from(RULES),
    )
    def import_calendar(self, trusted, publish, number, rrule):
        title = self.new_words()
        uid = f"import-{RULES.index(rrule)}-{number}@club.example"  # one rule per UID
        line = f"RRULE:{rrule}\r\n" if rrule else ""
        report = import_calendar(
            (
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\n"
                f"UID:{uid}\r\nDTSTART:20270120T180000Z\r\nDTEND:20270120T190000Z\r\n"
                f"{line}SUMMARY:{title}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            ).encode(),
            source="club.ics",
            organiser=self.organisers[trusted],
            publish=publish,
        )
        assert not report.errors, report.errors
        self.rules[uid] = rrule
        if trusted or publish:  # the operator's word, or a trusted organiser it names
            self.vetted.add(title)

    # What must hold after every step

    @invariant()
    def every_door_keeps_the_rules(self):
        public = public_view()
        titles = {view["title"] for view in public.values()}
        assert titles <= self.vetted, f"unmoderated words are public: {titles - self.vetted}"
        gone = self.public.keys() - public.keys()
        assert gone <= self.withdrawn, "an event left public view without an editor's word"

        for url, (etag, body) in self.feeds.items():
            new_etag, new_body = self.feed(url)
            assert set(SUMMARY.findall(new_body)) <= self.vetted, url
            assert (new_etag != etag) == (new_body != body), f"{url}: ETag and body disagree"
            self.feeds[url] = (new_etag, new_body)

        picks = set(Event.objects.filter(is_pick=True).values_list("uid", flat=True))
        assert picks == self.picked, "a pick changed without an editor's word"

        for event in Event.objects.all():
            rule = same_rule(self.rules[event.uid])
            assert same_rule(event.rrule) == rule, "a rule was lost"
            assert same_rule(event.with_pending_change().rrule) == rule, "a proposal lost it"
            stored = list(event.occurrences.order_by("start").values_list("start", "published"))
            expected = [instance.start for instance in event.stored_instances(timezone.now())]
            assert [start for start, _ in stored] == expected
            assert {published for _, published in stored} <= {event.is_published}
            if event.ical:  # a stored VEVENT is never stale
                assert event.ical == ical.event_ical(event, url=ical.event_url(event)).decode()

        changed = {
            uid
            for uid in public.keys() | self.public.keys()
            if public.get(uid) != self.public.get(uid)
        }
        synced, url = [], f"/api/v1/events/?updated_since={self.since.isoformat()}"
        url = url.replace("+", "%2B")
        while url:
            page = self.web.get(url).json()
            synced += page["results"]
            url = page["next"]
        by_uid = {item["uid"]: item for item in synced}
        assert changed <= by_uid.keys(), "a change did not reach delta sync"
        for uid, item in by_uid.items():
            assert (item["state"] == "published") == (uid in public), uid
            if item["state"] == "withdrawn":
                assert set(item) == {"id", "uid", "updated", "state"}
        self.public = public
        self.withdrawn = set()
        self.since = timezone.now()


def test_every_door_goes_through_the_one_write_path(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": None, "user": None})
    with (
        time_machine.travel(NOW, tick=True),
        override_settings(DIARY_CACHE_RESPONSES=False, DIARY_SUBMIT_PER_HOUR=10_000),
    ):
        run_state_machine_as_test(
            WritePaths,
            settings=settings(
                max_examples=int(os.environ.get("WRITE_PATHS_EXAMPLES", "20")),
                stateful_step_count=15,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            ),
        )


def test_the_clock_of_this_test_is_fixed():
    """The machine's dates lie after NOW: the test holds on any day, next year too."""
    assert datetime.fromisoformat(f"{START}+01:00") - NOW > timedelta(days=5)
