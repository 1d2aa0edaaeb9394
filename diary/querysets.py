"""The named queries of the diary. Every public door starts here.

`Event.objects.published()` is the only source of public events, and
`Occurrence.objects.public()` builds on it: the agenda, event and venue pages, the API, the
iCal and RSS feeds and the sitemap all call one of the two, so a pending or rejected event can
reach none of them.
"""

from datetime import date, datetime, timedelta

from django.db import models
from django.db.models import F
from django.utils import timezone

from common.translation import CODES, columns
from diary.recurrence import LONGEST

# What is still on at a moment began at most this long before it: the longest a date may
# last, and a day for clocks changing in between. A lower bound on `start` keeps every "still
# on" question a range of the start index, however many past dates the archive holds.
STILL_ON_SINCE = LONGEST + timedelta(days=1)


def still_on(moment: datetime) -> models.Q:
    """Dates still on at `moment` or later (Occurrence.is_still_on, in Python): an all-day
    date ending at midnight is not on the next day, but a date without duration starting
    exactly then is. (None began longer ago than a date may last: the bound makes it a range
    of the start index.)"""
    return (models.Q(end__gt=moment) | models.Q(start__gte=moment)) & models.Q(
        start__gte=moment - STILL_ON_SINCE
    )


class EventQuerySet(models.QuerySet):
    def published(self) -> "EventQuerySet":
        return self.filter(publication_state=self.model.PublicationState.PUBLISHED)

    def for_reading(self) -> "EventQuerySet":
        """Without what only feeds and `q` read (the stored VEVENTs in every language and
        the search text): a page or an API answer needs none of it."""
        return self.defer(*(f"ical_{code}" for code in CODES), "search_text")

    def awaiting_moderation(self) -> "EventQuerySet":
        """New submissions, and published events with an organiser's change to approve."""
        return self.filter(
            models.Q(publication_state=self.model.PublicationState.PENDING)
            | models.Q(pending_change__isnull=False)
        )

    def called_off(self) -> "EventQuerySet":
        """Those cancelled by their organiser before they were published (Event.is_called_off):
        nobody asks for them to be published."""
        return self.filter(status=self.model.Status.CANCELLED).exclude(
            publication_state=self.model.PublicationState.PUBLISHED
        )

    def approvable(self) -> "EventQuerySet":
        """What an editor's approval publishes (services.event_publish): those awaiting
        moderation and the rejected ones, less those called off."""
        waiting = self.awaiting_moderation() | self.filter(
            publication_state=self.model.PublicationState.REJECTED
        )
        return waiting.exclude(pk__in=self.called_off().values("pk"))

    def rejectable(self) -> "EventQuerySet":
        """What an editor's rejection changes (services.event_reject): all but the rejected
        ones without a change waiting."""
        return self.exclude(
            publication_state=self.model.PublicationState.REJECTED, pending_change__isnull=True
        )

    def recurring(self) -> "EventQuerySet":
        return self.exclude(rrule="")


class OccurrenceQuerySet(models.QuerySet):
    def public(self) -> "OccurrenceQuerySet":
        """Occurrences of published events (cancelled ones included: they say so).

        `published` is the event's publication state, copied by Event.save().
        """
        return self.filter(published=True)

    def still_on(self, moment: datetime) -> "OccurrenceQuerySet":
        """Occurrences still on at `moment` or later (`still_on`)."""
        return self.filter(still_on(moment))

    def upcoming(self, now: datetime | None = None) -> "OccurrenceQuerySet":
        """Occurrences not yet over: an exhibition that opened last week is still on."""
        return self.still_on(now or timezone.now())

    def for_listing(self) -> "OccurrenceQuerySet":
        """Everything a list of occurrences shows, in a constant number of queries."""
        return (
            self.select_related(
                "event", "event__venue", "event__venue__municipality", "event__category"
            )
            # A list shows an event's title, venue name and category: the rest of the texts,
            # in every language, stay in the database (feeds, `q` and pages read them).
            .defer(
                *(
                    f"{field}_{code}"
                    for field in (
                        "event__ical",
                        "event__summary",
                        "event__description",
                        "event__venue__street_address",
                    )
                    for code in CODES
                ),
                "event__search_text",
                "event__venue__description",
            )
            .order_by("start", "event_id")
        )

    def listed(self) -> "OccurrenceQuerySet":
        """A list of dates before its rows are rendered (diary.rows): each date's id and
        times (read from the start index) and its event's journal stamp, as narrow named
        tuples, in the agenda's order. A row kept for that stamp needs nothing more; the
        others are loaded whole (`for_day_lists`), a query for them all."""
        return (
            self.annotate(stamp=F("event__last_change_id"), stamped=F("event__changed"))
            .order_by("start", "event_id")
            .values_list("pk", "start", "end", "stamp", "stamped", named=True)
        )

    def for_day_lists(self) -> "OccurrenceQuerySet":
        """What a list of dates shows (diary/_occurrence_days.html, the agenda's rows, the picks):
        each date with its event's title, status and price flag, its venue's and category's
        names, and nothing more. Loading rows is most of a page's cost: a whole event (its
        dates, rules, stamps) is parsed for every date listed, to show four words of it."""
        return (
            self.select_related("event__venue", "event__category")
            .only(
                "start",
                "end",
                "all_day",
                "is_run",
                "event_id",
                *(f"event__{field}" for field in DAY_LIST_EVENT_FIELDS),
                *(f"event__{column}" for column in columns("title", "summary", "pick_reason")),
                *(
                    f"event__{related}__{column}"
                    for related in ("venue", "category")
                    for column in ("slug", *columns("name"))
                ),
            )
            .order_by("start", "event_id")
        )


DAY_LIST_EVENT_FIELDS = (
    "slug",
    "status",
    "sold_out",
    "is_free",
    "price_min",
    "price_max",
    "image",
    "image_width",
    "image_height",
    "image_alt",
    "online_url",
    "text_language",
    "venue",
    "category",
    "is_pick",
    "last_change",  # with `changed`, versions each date's row (diary.rows)
    "changed",
)


class ArticleQuerySet(models.QuerySet):
    def visible(self, today: date | None = None) -> "ArticleQuerySet":
        """Published stories whose date has come: the only ones any page or API shows."""
        return self.filter(is_published=True, published_on__lte=today or timezone.localdate())
