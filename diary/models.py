import copy
import json
import secrets
import uuid
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.translation import CODES, NamedInLanguages, Translated, columns, translated
from diary import images, recurrence
from diary.html import sanitise_html
from diary.querysets import ArticleQuerySet, EventQuerySet, OccurrenceQuerySet
from diary.text import searchable, validate_one_line, validate_text


@cache
def available_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone. Use an IANA name such as Europe/Brussels."),
            code="invalid_timezone",
            params={"value": value},
        )


def validate_agenda_date(value) -> None:
    """An agenda lives between these years (recurrence.FIRST_YEAR, LAST_YEAR)."""
    if value is not None and not recurrence.in_agenda_years(value):
        raise ValidationError(
            _("Give a date between %(first)s and %(last)s."),
            code="implausible_date",
            params={"first": recurrence.FIRST_YEAR, "last": recurrence.LAST_YEAR - 1},
        )


def default_timezone() -> str:
    return settings.TIME_ZONE


def new_uid() -> str:
    """A globally unique iCalendar UID (RFC 5545 3.8.4.7). Never reused, never changed."""
    return f"{uuid.uuid4()}@{settings.DIARY_UID_DOMAIN}"


class Category(NamedInLanguages):
    """A kind of event, from a small fixed list (music, exhibition, theatre, …)."""

    name = Translated(models.CharField(_("name"), validators=[validate_one_line], max_length=100))
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name_en"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Tag(NamedInLanguages):
    """A free label shared by events and articles: the bridge between diary and magazine."""

    name = Translated(models.CharField(_("name"), validators=[validate_one_line], max_length=100))
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Language(models.Model):
    """A language an event is held in (ISO 639-1 code)."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), validators=[validate_one_line], max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("language")
        verbose_name_plural = _("languages")

    def __str__(self) -> str:
        return shown_language_name(self.name)


def shown_language_name(name: str) -> str:
    """A spoken language's English name in the active language: Django's catalogues name
    every language (“German”: allemand, Duits); a name they lack stays as it is."""
    return gettext(name)


class Organiser(models.Model):
    name = models.CharField(_("name"), validators=[validate_one_line], max_length=200)
    email = models.EmailField(_("e-mail"), unique=True)
    website = models.URLField(_("website"), blank=True)
    is_trusted = models.BooleanField(
        _("trusted"),
        default=False,
        help_text=_("Events from trusted organisers are published without moderation."),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organiser")
        verbose_name_plural = _("organisers")

    def __str__(self) -> str:
        # Editors' lists and pickers: two organisers may share a name, never an address.
        return f"{self.name} <{self.email}>"

    def save(self, *args, **kwargs) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


def new_token_key() -> str:
    return secrets.token_hex(20)


class ApiToken(models.Model):
    """An organiser's key to the API's write endpoints, issued by an editor in the admin."""

    key = models.CharField(
        _("key"), max_length=64, unique=True, default=new_token_key, editable=False
    )
    organiser = models.ForeignKey(
        Organiser, verbose_name=_("organiser"), on_delete=models.CASCADE, related_name="tokens"
    )
    name = models.CharField(
        _("name"),
        validators=[validate_one_line],
        max_length=100,
        blank=True,
        help_text=_("What it is for, e.g. “website sync”."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.organiser} – {self.name or self.key[:8]}"


class Section(models.TextChoices):
    """The magazine's sections, as its menu names them (../shared/seed)."""

    URBAN_LIFE = "urban-life", _("Urban Life")
    CULTURE = "culture-creativity", _("Culture & Creativity")
    DISCOVER = "discover-meet", _("Discover & Meet")
    EUROPOLITAN = "europolitan-trends", _("Europolitan Trends")


# The menu's entries under each section: a story filed under one of them (a WordPress
# category, a feed's <category>) belongs to its section.
SECTION_OF = {
    name.casefold(): section
    for section, names in {
        Section.URBAN_LIFE: ("Urban Life", "Urban Jungle", "Photo Stories", "But Why?",
                             "Smart City", "City Branding", "Seniors", "Real Estate"),
        Section.CULTURE: ("Culture & Creativity", "New Economy", "Local Makers & Shakers",
                          "Illustrations", "Fashion City"),
        Section.DISCOVER: ("Discover & Meet", "Travel & Tourism news", "Foodie guide"),
        Section.EUROPOLITAN: ("Europolitan Trends",),
    }.items()
    for name in names
}  # fmt: skip


class Article(images.Pictured):
    """An editorial story of the magazine, linked to events through tags and by editors."""

    Section = Section

    title = models.CharField(_("title"), validators=[validate_one_line], max_length=300)
    url = models.URLField(_("URL"), max_length=500, unique=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language the story is written in."),
    )
    excerpt = models.TextField(_("excerpt"), validators=[validate_text], blank=True)
    author = models.CharField(
        _("author"), validators=[validate_one_line], max_length=200, blank=True
    )
    published_on = models.DateField(_("publication date"))
    image_url = models.URLField(
        _("image URL"),
        max_length=500,
        blank=True,
        help_text=_("The magazine's picture, shown when the story has no image of its own."),
    )
    section = models.CharField(_("section"), max_length=30, choices=Section.choices, blank=True)
    reading_minutes = models.PositiveSmallIntegerField(
        _("reading time (minutes)"),
        null=True,
        blank=True,
        help_text=_("Counted from the story's text when it is imported."),
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), related_name="articles", blank=True)
    is_published = models.BooleanField(
        _("published"), default=True, help_text=_("Unpublished stories are never shown.")
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_on", "title"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [models.Index(fields=["-published_on"], name="article_published_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return self.url


images.sized(Article)


class Change(models.Model):
    """One row of the change journal: a write a reader could notice (diary.journal).

    Append-only. What changed (`action`, `subject`, `fields`), when, through which door, and
    (in `ChangedEvent`) which events it touches. The response cache's data version, the
    feeds' and the API's validators and the API's delta sync (`updated_since`) all derive
    from it.
    """

    at = models.DateTimeField(_("when"), default=timezone.now, editable=False)
    action = models.CharField(_("action"), max_length=20, editable=False)
    door = models.CharField(_("door"), max_length=20, editable=False)
    subject = models.CharField(_("subject"), max_length=300, editable=False)
    fields = models.JSONField(_("fields"), default=list, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("change")
        verbose_name_plural = _("change journal")

    def __str__(self) -> str:
        return f"{self.action} {self.subject} ({self.door})"


class ChangedEvent(models.Model):
    """An event a journalled change touched. It keeps the event's id and UID even after the
    event is deleted, so that delta sync can tell partners it is gone."""

    change = models.ForeignKey(
        Change, on_delete=models.CASCADE, related_name="events", editable=False
    )
    event_pk = models.BigIntegerField(editable=False)
    uid = models.CharField(max_length=255, editable=False)
    at = models.DateTimeField(editable=False)  # the change's, for the sync's range query

    class Meta:
        indexes = [models.Index(fields=["at", "event_pk"], name="changed_event_at_idx")]

    def __str__(self) -> str:
        return f"{self.uid} ({self.change})"


# How many tags and spoken languages one event may carry: more helps no reader find it, and
# each one given is work for the door that takes it. The API and the form count them before
# looking any up (`too_many`).
MAX_TAGS = 20
MAX_LANGUAGES = 10
TOO_MANY = {
    "tags": (MAX_TAGS, _("Give at most %(count)s tags.")),
    "languages": (MAX_LANGUAGES, _("Give at most %(count)s spoken languages.")),
}


def too_many(name: str, values) -> str | None:
    """The message refusing a list of `name` (tags, languages) longer than its bound."""
    limit, message = TOO_MANY[name]
    return message % {"count": limit} if len(values) > limit else None


class EventStatus(models.TextChoices):
    """schema.org eventStatus; calendar apps see it as STATUS."""

    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")
    POSTPONED = "postponed", _("Postponed")
    MOVED_ONLINE = "moved_online", _("Moved online")


class PublicationState(models.TextChoices):
    PENDING = "pending", _("Pending review")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")


class Event(images.Pictured):
    Status = EventStatus
    PublicationState = PublicationState

    # Changes to these are changes a calendar app must notice: they raise `sequence`.
    CALENDAR_FIELDS = (
        *columns("title"),
        "start",
        "end",
        "all_day",
        "timezone",
        "rrule",
        "rdates",
        "exdates",
        "overrides",
        "venue_id",
        "online_url",
        "status",
    )
    # The stored VEVENTs, one per language, cleared: the next feed renders them again.
    UNRENDERED = dict.fromkeys(columns("ical"), "")
    # Changes to these change the dates: the occurrences are materialised again.
    DATE_FIELDS = ("start", "end", "all_day", "timezone", "rrule", "rdates", "exdates", "overrides")

    # In each language (common.translation); required in the event's own (text_language).
    title = Translated(models.CharField(_("title"), validators=[validate_one_line], max_length=200))
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    summary = Translated(
        models.CharField(_("summary"), validators=[validate_one_line], max_length=300)
    )
    description = Translated(
        models.TextField(
            _("description"),
            validators=[validate_text],
            help_text=_("Basic HTML is kept; anything else is removed."),
        )
    )
    # What the `q` filter searches: title, summary, venue and category names in every
    # language, kept by save() and by venue and category renames (diary.journal), so one
    # trigram index answers it.
    search_text = models.TextField(editable=False, default="")
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="events",
        null=True,
        blank=True,
        db_index=False,  # event_category_id (Meta) leads with it
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), related_name="events", blank=True)
    related_articles = models.ManyToManyField(
        Article,
        verbose_name=_("related articles"),
        related_name="events",
        blank=True,
        help_text=_("Shown first; more are suggested from shared tags and similar words."),
    )
    excluded_articles = models.ManyToManyField(
        Article,
        verbose_name=_("hidden suggestions"),
        related_name="excluded_from",
        blank=True,
        help_text=_("Stories never to suggest for this event."),
    )
    venue = models.ForeignKey(
        "venues.Venue",
        verbose_name=_("venue"),
        on_delete=models.PROTECT,
        related_name="events",
        null=True,
        blank=True,
        db_index=False,  # event_venue_id (Meta) leads with it
        help_text=_("Leave empty for online events and outdoor events without a venue."),
    )
    online_url = models.URLField(_("online URL"), max_length=500, blank=True)
    organiser = models.ForeignKey(
        Organiser,
        verbose_name=_("organiser"),
        on_delete=models.SET_NULL,
        related_name="events",
        null=True,
        blank=True,
    )

    timezone = models.CharField(
        _("time zone"), max_length=64, default=default_timezone, validators=[validate_timezone]
    )
    start = models.DateTimeField(_("start"), validators=[validate_agenda_date])
    end = models.DateTimeField(
        _("end"),
        null=True,
        blank=True,
        validators=[validate_agenda_date],
        help_text=_("For all-day events: midnight after the last day."),
    )
    all_day = models.BooleanField(_("all day"), default=False)
    rrule = models.CharField(
        _("recurrence rule"),
        max_length=500,
        blank=True,
        help_text=_("An RFC 5545 RRULE, for example FREQ=WEEKLY;BYDAY=TU;UNTIL=20261231."),
    )
    rdates = models.JSONField(
        _("extra dates"),
        default=list,
        blank=True,
        help_text=_("Dates (2026-12-24) or local date-times (2026-12-24T19:00) to add."),
    )
    exdates = models.JSONField(
        _("exception dates"),
        default=list,
        blank=True,
        help_text=_("Dates or local date-times to leave out of the recurrence."),
    )
    overrides = models.JSONField(
        _("moved dates"),
        default=dict,
        blank=True,
        editable=False,
        help_text=_("Single dates moved elsewhere (RECURRENCE-ID), by their original start."),
    )

    is_free = models.BooleanField(_("free"), default=False)
    price_min = models.DecimalField(
        _("price from (EUR)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    price_max = models.DecimalField(
        _("price to (EUR)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    ticket_url = models.URLField(_("ticket URL"), max_length=500, blank=True)
    sold_out = models.BooleanField(
        _("sold out"), default=False, help_text=_("No tickets or places are left.")
    )
    performers = models.CharField(
        _("performers"),
        validators=[validate_one_line],
        max_length=300,
        blank=True,
        help_text=_("Who performs or speaks: artists, bands, companies, separated by commas."),
    )
    # Its image (images.Pictured), and the card a shared link (and a search engine) shows
    # without one (diary.sharing), drawn in each of images.RATIOS and each language.
    sharing_image = models.ImageField(upload_to="sharing/", blank=True, editable=False)
    languages = models.ManyToManyField(
        Language, verbose_name=_("spoken languages"), related_name="events", blank=True
    )
    accessibility_notes = models.TextField(
        _("accessibility notes"),
        validators=[validate_text],
        blank=True,
        help_text=_("What visitors with reduced mobility, sight or hearing should know."),
    )
    family_friendly = models.BooleanField(_("family-friendly"), default=False)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)

    # Editors' picks: set in the admin (services.event_pick), never by an organiser's door.
    is_pick = models.BooleanField(
        _("editors' pick"),
        default=False,
        help_text=_("Opens the agenda under “Our picks” in the weeks it is on."),
    )
    pick_reason = Translated(
        models.CharField(
            _("why we pick it"),
            validators=[validate_one_line],
            max_length=200,
            blank=True,
            help_text=_("One line, shown with the pick."),
        )
    )

    status = models.CharField(
        _("status"), max_length=20, choices=EventStatus.choices, default=EventStatus.SCHEDULED
    )
    publication_state = models.CharField(
        _("publication state"),
        max_length=20,
        choices=PublicationState.choices,
        default=PublicationState.PENDING,
    )
    venue_proposal = models.TextField(
        _("proposed venue"),
        validators=[validate_text],
        blank=True,
        help_text=_(
            "A venue the organiser proposed (name, address, area): create it, then choose it above."
        ),
    )
    pending_change = models.JSONField(
        _("changes waiting for moderation"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "An organiser's edit of this published event; the published version stays public "
            "until an editor approves it."
        ),
    )
    text_language = models.CharField(
        _("language of the texts"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_(
            "The language the organiser wrote the title and description in; its e-mails go "
            "out in it."
        ),
    )
    rejection_reason = models.TextField(
        _("reason for rejection"), validators=[validate_text], blank=True
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("likely duplicate of"),
        on_delete=models.SET_NULL,
        related_name="likely_duplicates",
        null=True,
        blank=True,
        editable=False,
        help_text=_("An event at the same place and time with a similar title (diary.duplicates)."),
    )
    not_duplicate = models.BooleanField(
        _("not a duplicate"),
        default=False,
        editable=False,
        help_text=_("An editor said it is no duplicate: it is not suspected again."),
    )
    # One per language: a feed's `lang` chooses the texts (feeds.ical).
    ical = Translated(
        models.TextField(
            _("iCalendar text"),
            editable=False,
            help_text=_("This event's VEVENT, rendered by a feed; empty means render it again."),
        )
    )
    uid = models.CharField(_("UID"), max_length=255, unique=True, default=new_uid, editable=False)
    source = models.CharField(
        _("imported from"),
        max_length=500,
        blank=True,
        editable=False,
        help_text=_("The iCalendar file or feed this event was imported from."),
    )
    # An imported event is its source's UID *in that source*: two calendars may give one UID
    # to different events (copies do), and a file may name any UID it likes. An import finds
    # its events by (source, source_uid) and never touches another source's; `uid` is ours,
    # the source's UID when it was free, else a new one (feeds never repeat a UID).
    source_uid = models.CharField(
        _("UID at its source"),
        max_length=255,
        blank=True,
        editable=False,
        help_text=_("The UID the imported calendar gives this event."),
    )
    sequence = models.PositiveIntegerField(_("sequence"), default=0, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    # The journal's last row touching this event, and its time: written by diary.journal
    # only. Feeds' ETags and the API's Last-Modified come from them; a feed stores a
    # rendered VEVENT only while `last_change` is still the one it rendered from.
    last_change = models.ForeignKey(
        Change,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        db_index=False,
        related_name="+",
    )
    changed = models.DateTimeField(_("last public change"), null=True, blank=True, editable=False)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["start", "slug"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["publication_state", "-published_at"], name="event_pub_idx"),
            models.Index(fields=["source"], name="event_source_idx"),
            models.Index(fields=["start"], name="event_start_idx"),
            # Narrow indexes for the agenda's flags: counting a city's free dates joins each
            # of its 100,000 dates to its event, and without them PostgreSQL probed the wide
            # event table once per date (250 ms) where it now hashes the ids it needs from
            # one of these (35 ms).
            models.Index(fields=["id"], condition=Q(is_free=True), name="event_free"),
            models.Index(fields=["id"], condition=Q(family_friendly=True), name="event_family"),
            models.Index(fields=["id"], condition=Q(is_pick=True), name="event_pick"),
            models.Index(fields=["venue", "id"], name="event_venue_id"),
            # A category's events by id from the index alone: counting a category's dates
            # hashes its events' ids, which took reading 6,400 of the table's pages (8 ms at
            # 100,000 events; 2.5 ms from this index).
            models.Index(fields=["category", "id"], name="event_category_id"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_uid"],
                condition=~Q(source=""),
                name="event_source_uid_unique",
                violation_error_message=_("This source already has an event with this UID."),
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")),
                name="event_end_after_start",
                violation_error_message=_("The end must be after the start."),
            ),
            models.CheckConstraint(
                condition=Q(price_min__isnull=True)
                | Q(price_max__isnull=True)
                | Q(price_min__lte=F("price_max")),
                name="event_price_range",
                violation_error_message=_("The lowest price cannot be above the highest."),
            ),
            models.CheckConstraint(
                condition=(Q(price_min__isnull=True) | Q(price_min__gte=0))
                & (Q(price_max__isnull=True) | Q(price_max__gte=0)),
                name="event_price_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(is_free=False) | Q(price_min__isnull=True, price_max__isnull=True),
                name="event_free_has_no_price",
                violation_error_message=_("A free event has no price."),
            ),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True)
                | Q(max_age__isnull=True)
                | Q(min_age__lte=F("max_age")),
                name="event_age_range",
                violation_error_message=_("The minimum age cannot be above the maximum age."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=EventStatus.values), name="event_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(publication_state__in=PublicationState.values),
                name="event_publication_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.prepare_to_store()
        adding = self._state.adding
        super().save(*args, **kwargs)
        if not adding:
            # Occurrences carry the publication and the category so the agenda's range
            # queries need no join to read them (a queryset .update() of either would skip
            # this).
            self.occurrences.exclude(published=self.is_published, category=self.category_id).update(
                published=self.is_published, category=self.category_id
            )

    def get_absolute_url(self) -> str:
        return reverse("diary:event-detail", kwargs={"slug": self.slug})

    def prepare_to_store(self) -> None:
        """What every write of an event does first (save(), and the bulk insert of
        services.events_bulk_create): safe HTML, a normal rule, fresh copies."""
        for column in columns("description"):
            setattr(self, column, sanitise_html(getattr(self, column)))
        self.rrule = recurrence.normalise_rule(self.rrule)
        self.forget_rendered()  # rendered again, from what is saved now, by the next feed
        self.search_text_refresh()

    def forget_rendered(self) -> None:
        """Clear the stored VEVENTs (every language's), here as `UNRENDERED` does in an
        update of many."""
        for column, empty in self.UNRENDERED.items():
            setattr(self, column, empty)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded = {
            name: getattr(instance, name) for name in cls.CALENDAR_FIELDS if name in field_names
        }
        if "publication_state" in field_names:
            instance._loaded_public = instance.is_published
        return instance

    @property
    def was_public(self) -> bool:
        """Whether the event was public when loaded (or last saved); a new one was not."""
        return getattr(self, "_loaded_public", False)

    # What an organiser's edit may propose (the form's and the API's fields).
    PROPOSABLE_FIELDS = (
        *columns("title", "summary", "description"), "category", "venue", "venue_proposal",
        "online_url", "timezone", "start", "end", "all_day", "rrule", "rdates", "exdates",
        "is_free", "price_min", "price_max", "ticket_url", "sold_out", "performers", "image",
        "image_alt", "accessibility_notes", "family_friendly", "min_age", "max_age",
    )  # fmt: skip

    def proposed_fields(self, stored: "Event") -> dict:
        """The PROPOSABLE_FIELDS whose values here differ from `stored`, as JSON values."""
        change = {}
        for name in self.PROPOSABLE_FIELDS:
            field = self._meta.get_field(name)
            if field.value_from_object(self) != field.value_from_object(stored):
                value = field.value_from_object(self)
                change[field.attname] = (
                    value
                    if isinstance(field, models.JSONField)
                    else (None if value is None else field.value_to_string(self))
                )
        return change

    def with_pending_change(self) -> "Event":
        """This event as its pending change would make it (a copy; nothing is saved)."""
        proposed = copy.copy(self)
        for attname, value in ((self.pending_change or {}).get("fields") or {}).items():
            field = next(f for f in self._meta.concrete_fields if f.attname == attname)
            setattr(proposed, attname, value if value is None else field.to_python(value))
        return proposed

    def search_text_refresh(self) -> None:
        """What `q` searches: title, summary, venue, area (municipality) and category names
        in every language, one per line, as `searchable` folds them (diary.journal calls
        this when a venue, an area or a category is renamed)."""
        texts = [getattr(self, column) for column in columns("title", "summary")]
        area = self.venue.municipality if self.venue else None
        for related in (self.venue, area, self.category):
            if related:
                texts += dict.fromkeys(getattr(related, column) for column in columns("name"))
        self.search_text = searchable("\n".join(text for text in texts if text))

    def changed_fields(self, names: tuple[str, ...] | None = None) -> set[str]:
        """The fields among `names` (default: CALENDAR_FIELDS) changed since loading."""
        loaded = getattr(self, "_loaded", None)
        names = names or self.CALENDAR_FIELDS
        if loaded is None:
            return set(names)
        return {name for name in names if name in loaded and loaded[name] != getattr(self, name)}

    def mark_saved(self) -> None:
        """Make the current values the baseline for `changed_fields`."""
        self._loaded = {name: getattr(self, name) for name in self.CALENDAR_FIELDS}
        self._loaded_public = self.is_published

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def performer_names(self) -> list[str]:
        """The performers, one name each (the field separates them by commas)."""
        return [name.strip() for name in self.performers.split(",") if name.strip()]

    @property
    def location_text(self) -> str:
        """Where, in one line: the venue's name and address, or the online address."""
        if self.venue:
            return ", ".join(part for part in (self.venue.name, self.venue.address) if part)
        return self.online_url

    @property
    def own_title(self) -> str:
        """The title in the texts' own language (slugs, e-mails to the organiser)."""
        return translated(self, "title", self.text_language)[0]

    @property
    def is_recurring(self) -> bool:
        return bool(self.rrule or self.rdates)

    @property
    def modified(self) -> datetime:
        """When this event's public view last changed: its latest journal stamp (its own
        edits, and its venue's, area's or category's), or its last save before it had one."""
        return self.changed or self.updated

    @property
    def is_published(self) -> bool:
        return self.publication_state == self.PublicationState.PUBLISHED

    @property
    def is_called_off(self) -> bool:
        """Cancelled by its organiser before it was published (EventQuerySet.called_off):
        nobody asks for it to be published."""
        return self.status == self.Status.CANCELLED and not self.is_published

    def horizon(self, now: datetime | None = None) -> datetime:
        return (now or timezone.now()) + timedelta(days=settings.DIARY_HORIZON_DAYS)

    def date_instances(
        self, *, now: datetime, cap: int, horizon: datetime | None = None
    ) -> list[recurrence.Instance]:
        """This event's dates (see `recurrence.expand`); reads nothing from the database."""
        return recurrence.expand(
            start=self.start,
            end=self.end,
            tz=self.tzinfo,
            all_day=self.all_day,
            rule=self.rrule,
            rdates=self.rdates,
            exdates=self.exdates,
            overrides=self.overrides,
            horizon=horizon or self.horizon(now),
            now=now,
            cap=cap,
        )

    def stored_instances(self, now: datetime | None = None) -> list[recurrence.Instance]:
        """The dates to store: up to the horizon, at most DIARY_MAX_OCCURRENCES (upcoming
        first). Remembered for the current dates and `now`, so validating and then saving
        expand the rule once (recurrence.MAX_WORK bounds each expansion, not their number)."""
        key = (
            json.dumps([getattr(self, name) for name in self.DATE_FIELDS], default=str),
            now,
        )
        memo = getattr(self, "_stored_instances", None)
        if memo is None or memo[0] != key:
            instances = self.date_instances(
                now=now or timezone.now(), cap=settings.DIARY_MAX_OCCURRENCES
            )
            memo = self._stored_instances = (key, instances)
        return memo[1]

    def clean(self) -> None:
        super().clean()
        self.rrule = recurrence.normalise_rule(self.rrule)
        errors: dict[str, list] = {}
        if self.text_language in CODES and not getattr(self, f"title_{self.text_language}"):
            errors.setdefault(f"title_{self.text_language}", []).append(
                _("Give the title in the language of the texts.")
            )
        if self.is_free and (self.price_min is not None or self.price_max is not None):
            errors.setdefault("is_free", []).append(_("A free event has no price."))
        tz = self.tzinfo if self.timezone in available_timezones() else zoneinfo.ZoneInfo("UTC")
        if self.start and self.end and self.end <= self.start:
            errors.setdefault("end", []).append(_("The end must be after the start."))
        elif self.start and self.end:
            # The expansion's own measure, so the error names the end, not the rule.
            length = recurrence.duration_of(
                start=self.start, end=self.end, tz=tz, all_day=self.all_day
            )
            if length > recurrence.LONGEST:
                errors.setdefault("end", []).append(_(recurrence.TOO_LONG))
        for name in ("rdates", "exdates"):
            if not isinstance(getattr(self, name), list):
                errors.setdefault(name, []).append(_("Give a list of dates."))
                continue
            try:
                recurrence.parse_date_list(getattr(self, name), tz=tz)
            except recurrence.RecurrenceError as error:
                errors.setdefault(name, []).append(str(error))
        if (
            self.start
            and not errors
            and self.timezone in available_timezones()
            and recurrence.in_agenda_years(self.start)
        ):
            # The expansion saving will store, done once: the same result serves
            # occurrences_materialise, so a rule that passes here cannot fail there and no
            # request expands a rule twice.
            try:
                self.stored_instances()
            except recurrence.RecurrenceError as error:
                errors.setdefault("rrule", []).append(str(error))
        if errors:
            raise ValidationError(errors)


class Submission(Event):
    """Pending events, as the editors' moderation queue shows them."""

    class Meta:
        proxy = True
        verbose_name = _("submission to moderate")
        verbose_name_plural = _("submissions to moderate")


images.sized(Event, cropped=True)


# A date longer than this is a run (`Occurrence.is_run`): a day, and the hour a day gains
# when the clocks go back.
RUN_LONGER_THAN = timedelta(hours=25)


def last_day_of(end: datetime, all_day: bool, tz=None) -> date:
    """The day a date ends on, in `tz` (default: the city's): an all-day date's end is the
    midnight after its last day."""
    end = timezone.localtime(end, tz)
    return (end - timedelta(days=1)).date() if all_day else end.date()


class Occurrence(models.Model):
    """One dated instance of an event, materialised so every agenda question is a range query.

    Written only by `diary.services` (`occurrences_materialise`, and `events_bulk_create`
    for the demo city's bulk insert).
    """

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="occurrences"
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    all_day = models.BooleanField(_("all day"), default=False)
    # Copies of the event's publication and category, kept by Event.save(), for the indexes
    # below (the runs that are on are counted by category from an index alone).
    published = models.BooleanField(default=False, editable=False)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        editable=False,
        db_index=False,  # read through occurrence_public_runs
    )
    # A run (an exhibition, a festival: on for more than a day), not a happening (a concert
    # at 20:00, a market all Saturday, a party until 04:00): lists show the happenings and
    # group the runs that are on; the month lists a run once. Kept by `is_run_of`.
    is_run = models.BooleanField(default=False, editable=False)

    objects = OccurrenceQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        verbose_name = _("occurrence")
        verbose_name_plural = _("occurrences")
        # Partial indexes of the published dates: SQLite ranges over `start` only when the
        # index's own condition matches the queries' `WHERE "published" AND ...` (a leading
        # `published` column would not, and every page would scan the whole index). The
        # trailing `published` lets a count answer from the index alone.
        indexes = [
            # The agenda in order (a page of it), and date-range counts from the index alone.
            models.Index(
                fields=["start", "end", "event", "published", "is_run"],
                condition=Q(published=True),
                # PostgreSQL: a page's ids from the index alone (SQLite's indexes hold them).
                include=["id"],
                name="occurrence_public_start",
            ),
            # "Still on after" counts.
            models.Index(
                fields=["end", "published"],
                condition=Q(published=True),
                name="occurrence_public_end",
            ),
            # The runs: the few long dates a list groups and a month shows apart.
            # (With their events and categories: a selection's runs are counted by category
            # from the index alone.)
            models.Index(
                fields=["start", "end", "published", "is_run", "event", "category"],
                condition=Q(published=True, is_run=True),
                name="occurrence_public_runs",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "start"], name="occurrence_unique_start"),
            models.CheckConstraint(
                condition=Q(end__gte=F("start")), name="occurrence_end_not_before_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event.title} ({timezone.localtime(self.start):%Y-%m-%d %H:%M})"

    def get_absolute_url(self) -> str:
        return self.event.get_absolute_url()

    def last_day(self, tz=None) -> date:
        return last_day_of(self.end, self.all_day, tz)

    def is_still_on(self, moment: datetime) -> bool:
        """Whether the date is still on at `moment` or later (querysets.still_on)."""
        return self.end > moment or self.start >= moment

    @staticmethod
    def is_run_of(start: datetime, end: datetime) -> bool:
        """Whether a date is a run (`is_run`): on for more than a day. Over RUN_LONGER_THAN,
        so that an all-day date on the day the clocks go back (25 hours) is one day. Hours
        that pass, as the database counts them (Python subtracts two times of one zone on
        the wall clock: an hour short across the autumn change)."""
        return end.astimezone(UTC) - start.astimezone(UTC) > RUN_LONGER_THAN


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class LetterSubscription(models.Model):
    """A confirmed weekly letter: an agenda selection mailed to one address. It holds the
    address, the selection (the agenda's query string), the language and the day, nothing
    else; it exists only once its confirmation link was followed (diary.letters)."""

    email = models.EmailField(_("e-mail"))
    query = models.CharField(_("selection"), max_length=2000, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    weekday = models.PositiveSmallIntegerField(
        _("day"), choices=Weekday.choices, default=Weekday.THURSDAY
    )
    confirmed = models.DateTimeField(_("confirmed"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("weekly letter")
        verbose_name_plural = _("weekly letters")
        constraints = [
            models.UniqueConstraint(fields=["email", "query"], name="letter_once_per_selection")
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.query or '*'})"


class LetterSend(models.Model):
    """One week's decision for one letter, written in the same transaction as the sending:
    a week is never mailed twice, even when `send_digests` runs again or was interrupted."""

    subscription = models.ForeignKey(
        LetterSubscription, on_delete=models.CASCADE, related_name="sends"
    )
    week = models.DateField(_("week"), help_text=_("The Monday of the week."))
    events = models.PositiveIntegerField(_("events"), default=0)
    sent = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("letter sent")
        verbose_name_plural = _("letters sent")
        constraints = [
            models.UniqueConstraint(fields=["subscription", "week"], name="letter_once_a_week")
        ]

    def __str__(self) -> str:
        return f"{self.subscription} – {self.week}"


class LetterStop(models.Model):
    """A letter stopped, remembered while a confirmation link sent before it could still be
    followed (diary.letters): that link does not start it again. It holds a keyed hash of
    the address and the selection, and the time."""

    key = models.CharField(_("address and selection (hashed)"), max_length=64, db_index=True)
    stopped = models.DateTimeField(_("stopped"), db_index=True)

    class Meta:
        verbose_name = _("weekly letter stopped")
        verbose_name_plural = _("weekly letters stopped")

    def __str__(self) -> str:
        return f"{self.key[:12]}… ({self.stopped:%Y-%m-%d %H:%M})"
