"""What the API answers and accepts."""

import copy
import functools

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.translation import CODES, active_language, to_attribute, translations
from diary import duplicates, recurrence, services
from diary.filters import KindChoices
from diary.models import (
    MAX_LANGUAGES,
    MAX_TAGS,
    Article,
    Category,
    Event,
    Language,
    Occurrence,
    Tag,
    available_timezones,
    too_many,
)
from diary.related import related_articles
from venues.models import Venue

EVENT_TEXTS = ("title", "summary", "description")


@functools.cache
def texts_serializer(names: tuple[str, ...], *, writable: bool = False) -> type:
    """{"en": {"title": …, …}, "fr": …, "nl": …}: a translated object's texts in every
    language that has one (the `translations` object), also as the API writes them."""
    prefix = ("Writable" if writable else "") + "".join(name.title() for name in names)
    texts = type(
        f"{prefix.replace('_', '')}Texts",
        (serializers.Serializer,),
        {name: serializers.CharField(required=False, allow_blank=True) for name in names},
    )
    # Read, it only describes the answer (TranslationsField): a language without texts is
    # left out, so none is required.
    return type(
        f"{prefix.replace('_', '')}Translations",
        (serializers.Serializer,),
        {code: texts(required=False) for code in CODES},
    )


class TranslationsField(serializers.Field):
    """The `translations` object of a translated object: its texts in every language."""

    def __init__(self, names: tuple[str, ...], **kwargs):
        self.names = names
        kwargs.setdefault(
            "help_text",
            "These texts in every language they exist in (en, fr, nl); the fields above are "
            "in the language asked for (`lang` or Accept-Language), or a fallback.",
        )
        super().__init__(source="*", read_only=True, **kwargs)
        extend_schema_field(texts_serializer(names))(self)

    def to_representation(self, value):
        return translations(value, self.names)


def shown(help_text: str = "") -> serializers.CharField:
    """A translated text, in the language asked for (or a fallback)."""
    return serializers.CharField(read_only=True, help_text=help_text or None)


class VenueSummarySerializer(serializers.ModelSerializer):
    name = shown()

    class Meta:
        model = Venue
        fields = ["slug", "name"]


class EventSummarySerializer(serializers.ModelSerializer):
    title = shown()

    class Meta:
        model = Event
        fields = ["id", "slug", "title", "uid", "is_pick"]


class LinksMixin(serializers.Serializer):
    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def event_url(self, event: Event) -> str:
        return self._absolute(event.get_absolute_url())

    def event_ics_url(self, event: Event) -> str:
        return self._absolute(reverse("diary:event-ics", args=[event.slug]))


class OccurrenceSerializer(LinksMixin, serializers.ModelSerializer):
    """One dated instance of an event: what agenda clients list."""

    event = EventSummarySerializer(read_only=True)
    status = serializers.CharField(source="event.status", read_only=True)
    venue = VenueSummarySerializer(source="event.venue", read_only=True, allow_null=True)
    kind = serializers.SerializerMethodField(
        help_text="`happening` (a time on its day) or `run` (on for more than a day: an "
        "exhibition, a festival); the `kind` parameter selects one."
    )
    url = serializers.SerializerMethodField()
    ics_url = serializers.SerializerMethodField()

    class Meta:
        model = Occurrence
        fields = ["id", "event", "start", "end", "all_day", "kind", "status", "venue", "url",
                  "ics_url"]  # fmt: skip

    def get_kind(self, occurrence: Occurrence) -> str:
        return KindChoices.RUN if occurrence.is_run else KindChoices.HAPPENING

    def get_url(self, occurrence: Occurrence) -> str:
        return self.event_url(occurrence.event)

    def get_ics_url(self, occurrence: Occurrence) -> str:
        return self.event_ics_url(occurrence.event)


class DatesSerializer(serializers.ModelSerializer):
    class Meta:
        model = Occurrence
        fields = ["start", "end", "all_day"]


class EventSerializer(LinksMixin, serializers.ModelSerializer):
    title = shown("In the language asked for; else the texts' own (`text_language`), "
                  "English, or any.")  # fmt: skip
    summary = shown()
    description = shown("Basic HTML.")
    translations = TranslationsField(EVENT_TEXTS)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    tags = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    languages = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    venue = VenueSummarySerializer(read_only=True, allow_null=True)
    organiser = serializers.CharField(source="organiser.name", read_only=True, allow_null=True)
    upcoming = DatesSerializer(
        source="upcoming_dates", many=True, read_only=True, help_text="The next 10 dates."
    )
    updated = serializers.DateTimeField(
        source="modified",
        read_only=True,
        help_text="When this event's public view last changed (its own edits, and its "
        "venue's or category's): the value delta sync (`updated_since`) compares.",
    )
    pick_reason = shown("Why the editors pick it (`is_pick`), in one line; may be empty.")
    url = serializers.SerializerMethodField()
    ics_url = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            "id", "uid", "slug", "title", "summary", "description", "category", "tags",
            "venue", "online_url", "organiser", "timezone", "start", "end", "all_day",
            "rrule", "rdates", "exdates", "upcoming", "status", "is_free", "price_min",
            "price_max", "ticket_url", "sold_out", "performers", "languages", "family_friendly",
            "min_age", "max_age", "accessibility_notes", "text_language", "translations",
            "sequence", "published_at", "updated", "is_pick", "pick_reason", "url", "ics_url",
        ]  # fmt: skip

    def get_url(self, event: Event) -> str:
        return self.event_url(event)

    def get_ics_url(self, event: Event) -> str:
        return self.event_ics_url(event)


class SlugField(serializers.SlugRelatedField):
    """A slug that refuses a NUL character before any query (PostgreSQL would fail)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class DateList(serializers.ListField):
    """Extra or skipped dates, counted before any is read (`max_length`, which DRF checks
    after reading every one, only tells the schema)."""

    def run_child_validation(self, data):
        try:
            recurrence.date_count_check(data)
        except recurrence.RecurrenceError as error:
            raise serializers.ValidationError(str(error)) from None
        return super().run_child_validation(data)


class SlugList(serializers.ManyRelatedField):
    """A list of slugs (an event's tags, its languages): counted before anything else, then
    looked up in one query, not one per slug (50,000 tags took 12.5 s, 200,000 a worker)."""

    def __init__(self, *, bound: str, slug_field: str, queryset, **kwargs):
        self.bound = bound
        child = SlugField(slug_field=slug_field, queryset=queryset)
        super().__init__(child_relation=child, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) or not isinstance(data, list | tuple):
            self.fail("not_a_list", input_type=type(data).__name__)
        if message := too_many(self.bound, data):
            raise serializers.ValidationError(message)
        child = self.child_relation
        if not all(isinstance(slug, str) and "\x00" not in slug for slug in data):
            child.fail("invalid")
        slugs = list(dict.fromkeys(data))
        found = {
            getattr(row, child.slug_field): row
            for row in child.get_queryset().filter(**{f"{child.slug_field}__in": slugs})
        }
        for slug in slugs:
            if slug not in found:
                child.fail("does_not_exist", slug_name=child.slug_field, value=slug)
        return [found[slug] for slug in slugs]


class EventDetailSerializer(EventSerializer):
    related_articles = serializers.SerializerMethodField(
        help_text="Ids of the related magazine stories, best first (at most five)."
    )

    class Meta(EventSerializer.Meta):
        fields = [*EventSerializer.Meta.fields, "related_articles"]

    def get_related_articles(self, event: Event) -> list[int]:
        return [article.pk for article in related_articles(event)]


class EventWriteSerializer(serializers.ModelSerializer):
    """What an organiser sends. Times are ISO 8601; an all-day event's `end` is the
    midnight after its last day, as in iCalendar."""

    category = SlugField(
        slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True
    )
    tags = SlugList(
        bound="tags",
        slug_field="slug",
        queryset=Tag.objects.all(),
        required=False,
        help_text=f"Slugs of existing tags, at most {MAX_TAGS}.",
    )
    languages = SlugList(
        bound="languages",
        slug_field="code",
        queryset=Language.objects.all(),
        required=False,
        help_text=f"Codes of the languages spoken, at most {MAX_LANGUAGES}.",
    )
    rdates = DateList(
        child=serializers.CharField(), required=False, max_length=recurrence.MAX_LISTED_DATES
    )
    exdates = DateList(
        child=serializers.CharField(), required=False, max_length=recurrence.MAX_LISTED_DATES
    )
    venue = SlugField(
        slug_field="slug", queryset=Venue.objects.all(), required=False, allow_null=True
    )
    title = serializers.CharField(
        required=False, help_text="In the texts' language (`text_language`); required for a "
        "new event unless `translations` gives it."
    )  # fmt: skip
    summary = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, help_text="Basic HTML.")
    translations = texts_serializer(EVENT_TEXTS, writable=True)(
        required=False,
        help_text="The texts in other languages, all optional: "
        '{"nl": {"title": "…", "summary": "…", "description": "…"}}. A text given empty '
        "is removed.",
    )

    class Meta:
        model = Event
        fields = [
            "title", "summary", "description", "translations", "category", "tags", "venue",
            "online_url",
            "timezone", "start", "end", "all_day", "rrule", "rdates", "exdates", "is_free",
            "price_min", "price_max", "ticket_url", "sold_out", "performers", "languages",
            "family_friendly", "min_age", "max_age", "accessibility_notes", "text_language",
        ]  # fmt: skip
        extra_kwargs = {
            "text_language": {
                "help_text": "The language the texts are written in (en, fr or nl); the "
                "organiser's e-mails go out in it. Default for a new event: the request's "
                "language (Accept-Language), else English."
            }
        }

    def validate(self, attrs):
        """The model's own rules (dates, recurrence, prices), as field errors."""
        m2m = {name: attrs.pop(name) for name in ("tags", "languages") if name in attrs}
        # A copy: a refused write leaves the instance the view read as it was.
        event = copy.copy(self.instance) if self.instance else Event()
        if self.instance is None and "text_language" not in attrs:
            attrs["text_language"] = active_language()
        texts = attrs.pop("translations", {})
        own = attrs.get("text_language") or event.text_language
        texts = {**texts, own: {**texts.get(own, {}), **{
            name: attrs.pop(name) for name in EVENT_TEXTS if name in attrs
        }}}  # fmt: skip
        for code, values in texts.items():
            for name, value in values.items():
                setattr(event, to_attribute(name, code), value)
        for name, value in attrs.items():
            setattr(event, name, value)
        if event.all_day and event.start and event.timezone in available_timezones():
            event.start = recurrence.midnight_of(event.start, event.tzinfo)
            if event.end:  # the midnight after the last day, as in iCalendar
                event.end = recurrence.midnight_of(event.end, event.tzinfo)
        try:
            event.full_clean(exclude=["slug"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(self._named(error.message_dict, own)) from None
        attrs.update(m2m)
        attrs["_event"] = event
        return attrs

    @staticmethod
    def _named(errors: dict, own: str) -> dict:
        """The model's errors under the API's names: a column of the texts' language is its
        text (title_fr → title), another language's is in `translations`."""
        named = {}
        for key, messages in errors.items():
            name, _sep, code = key.rpartition("_")
            if name in EVENT_TEXTS and code in CODES:
                key = name if code == own else "translations"
                messages = messages if code == own else [f"{code}.{name}: {m}" for m in messages]
            named.setdefault(key, []).extend(messages)
        return named

    def create(self, validated_data):
        return self._save(validated_data, created=True)

    def update(self, instance, validated_data):
        return self._save(validated_data, created=False)

    def _save(self, validated_data, *, created: bool) -> Event:
        """The same services as the form and the manage link; the token proves the
        organiser, so a trusted one publishes and an untrusted one's edit is moderated."""
        event = validated_data.pop("_event")
        if created:
            return services.event_submit(
                event=event,
                organiser=self.context["request"].auth.organiser,
                proven=True,
                tags=validated_data.get("tags", ()),
                languages=validated_data.get("languages", ()),
                notify=False,  # the answer tells the client; a sync job wants no mail
            )
        return services.event_resubmit(
            event=event,
            proven=True,
            tags=validated_data.get("tags"),
            languages=validated_data.get("languages"),
        )

    def to_representation(self, instance):
        return OrganiserEventSerializer(instance, context=self.context).data


class LikelyDuplicateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    uid = serializers.CharField()
    title = serializers.CharField()
    url = serializers.URLField()


class OrganiserEventSerializer(EventSerializer):
    """An event as its organiser sees it after a write: with its publication state, and
    whether an edit waits for the editors (the fields show the published version)."""

    upcoming = None
    changes_pending = serializers.SerializerMethodField(
        help_text="An edit of this published event waits for the editors; until they "
        "approve it, the published version stays public."
    )
    likely_duplicates = serializers.SerializerMethodField(
        help_text="Events already listed at the same place and time with a similar title: "
        "is it one of these? The event is saved all the same; the editors see them too."
    )

    class Meta(EventSerializer.Meta):
        fields = [name for name in EventSerializer.Meta.fields if name != "upcoming"]
        fields += ["publication_state", "changes_pending", "likely_duplicates"]

    def get_changes_pending(self, event: Event) -> bool:
        return event.pending_change is not None

    @extend_schema_field(LikelyDuplicateSerializer(many=True))
    def get_likely_duplicates(self, event: Event) -> list[dict]:
        """The public ones, and the organiser's own (never another's unpublished event)."""
        request = self.context["request"]
        organiser = request.auth.organiser
        return [
            {
                "id": other.pk,
                "uid": other.uid,
                "title": other.title,
                "url": request.build_absolute_uri(other.get_absolute_url()),
            }
            for other in duplicates.likely_duplicates(event)
            if other.is_published or other.organiser_id == organiser.pk
        ]


class ArticleSerializer(serializers.ModelSerializer):
    tags = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Article
        fields = [
            "id", "title", "url", "excerpt", "author", "published_on", "language", "image_url",
            "section", "reading_minutes", "tags",
        ]  # fmt: skip


class CategorySerializer(serializers.ModelSerializer):
    name = shown()
    translations = TranslationsField(("name",))

    class Meta:
        model = Category
        fields = ["slug", "name", "translations"]


class TagSerializer(serializers.ModelSerializer):
    name = shown()
    translations = TranslationsField(("name",))

    class Meta:
        model = Tag
        fields = ["slug", "name", "translations"]
