"""The diary's REST API (/api/v1/): read-only for everyone, writes for organisers' tokens.

Lists answer the agenda's own query parameters through `AgendaFilter` (via
`AgendaFilterBackend`), so an agenda URL's query string returns the same occurrences here.
Writes go through the diary's services, like every other door.
"""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import http_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, filters, mixins, serializers, viewsets
from rest_framework.response import Response

from diary import recurrence, services
from diary.filters import AgendaFilter, WhenChoices
from diary.models import (
    Article,
    Category,
    Event,
    Language,
    Occurrence,
    Tag,
    available_timezones,
)
from diary.related import related_articles
from venues.models import Venue

# The agenda's parameters, for occurrences and for events

AGENDA_PARAMETERS = [
    OpenApiParameter(
        "start",
        OpenApiTypes.STR,
        description="Window start: a date (2026-12-24, the whole day) or a date and time "
        "(2026-12-24T19:00, read in the city's time zone unless it has an offset). "
        "Default: now.",
        examples=[OpenApiExample("A date", value="2026-12-24")],
    ),
    OpenApiParameter(
        "end",
        OpenApiTypes.STR,
        description="Window end, like `start`; a date includes that whole day.",
        examples=[OpenApiExample("A date", value="2026-12-31")],
    ),
    OpenApiParameter(
        "when",
        OpenApiTypes.STR,
        enum=[value for value, _label in WhenChoices.choices],
        description="A preset window in the city's time zone; `today`, `week` and `month` "
        "start now.",
    ),
    *(
        OpenApiParameter(
            name,
            OpenApiTypes.STR,
            many=True,
            explode=True,
            description=description,
            examples=[OpenApiExample("Example", value=[example])],
        )
        for name, description, example in (
            ("category", "Category slug; repeat for several (any of them).", "music"),
            ("tag", "Tag slug; repeat for several (any of them).", "smart-city"),
            ("venue", "Venue slug; repeat for several.", "flagey"),
            ("area", "Municipality slug; repeat for several.", "ixelles"),
            ("language", "Spoken language code; repeat for several.", "fr"),
        )
    ),
    OpenApiParameter(
        "q", OpenApiTypes.STR, description="Words to find in title, summary or venue name."
    ),
    *(
        OpenApiParameter(name, OpenApiTypes.STR, enum=["true", "false"], description=text)
        for name, text in (
            ("free", "`true`: free events only."),
            ("accessible", "`true`: venues with step-free access only."),
            ("family", "`true`: family-friendly events only."),
        )
    ),
]

BAD_REQUEST = OpenApiResponse(
    OpenApiTypes.OBJECT, description="Each bad field or parameter, with its messages."
)
ERROR = OpenApiResponse(
    inline_serializer("Error", {"detail": serializers.CharField()}),
    description="What went wrong: no or a bad token, not found, a page out of range.",
)


def documented(ok, *codes: int) -> dict:
    """The responses of an operation: its success, then the errors it can answer. Any
    operation can answer 400 (a control character in the address, diary.middleware) and 406
    (an Accept header no renderer satisfies)."""
    errors = {400: BAD_REQUEST, 401: ERROR, 404: ERROR, 406: ERROR}
    return {**ok, **{code: errors[code] for code in {400, 406, *codes}}}


class AgendaFilterBackend(filters.BaseFilterBackend):
    """The agenda's one FilterSet, applied to occurrences, or to the events they belong to.

    A bad value is a 400 that names the parameter, as the agenda page shows a message.
    """

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) != "list":
            return queryset
        occurrences = queryset if queryset.model is Occurrence else Occurrence.objects.public()
        agenda = AgendaFilter(request.query_params, queryset=occurrences, request=request)
        if not agenda.is_valid():
            raise exceptions.ValidationError(agenda.errors)
        if queryset.model is Occurrence:
            return agenda.qs
        return queryset.filter(pk__in=agenda.qs.values("event_id"))


OCCURRENCE_EXAMPLE = {
    "id": 370,
    "event": {
        "id": 211,
        "slug": "flea-market-at-forest-national",
        "title": "Flea Market at Forest National",
        "uid": "4f1c9a7e-0b1d-4c55-9a51-6a1f0e2d7c11@agenda.example.org",
    },
    "start": "2026-11-26T14:00:00+01:00",
    "end": "2026-11-26T16:00:00+01:00",
    "all_day": False,
    "status": "scheduled",
    "venue": {"slug": "forest-national", "name": "Forest National"},
    "url": "https://agenda.example.org/events/flea-market-at-forest-national/",
    "ics_url": "https://agenda.example.org/events/flea-market-at-forest-national.ics",
}
EVENT_WRITE_EXAMPLE = {
    "title": "Canal clean-up",
    "summary": "Bring gloves; we bring the rest.",
    "category": "sport",
    "venue": "kanal-centre-pompidou",
    "start": "2026-12-05T10:00:00+01:00",
    "end": "2026-12-05T13:00:00+01:00",
    "rrule": "FREQ=MONTHLY;BYDAY=1SA;COUNT=6",
    "is_free": True,
    "languages": ["fr", "nl"],
}


def page_of(example: dict) -> dict:
    return {"count": 1, "next": None, "previous": None, "results": [example]}


# Serializers


class VenueSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Venue
        fields = ["slug", "name"]


class EventSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "slug", "title", "uid"]


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
    url = serializers.SerializerMethodField()
    ics_url = serializers.SerializerMethodField()

    class Meta:
        model = Occurrence
        fields = ["id", "event", "start", "end", "all_day", "status", "venue", "url", "ics_url"]

    def get_url(self, occurrence: Occurrence) -> str:
        return self.event_url(occurrence.event)

    def get_ics_url(self, occurrence: Occurrence) -> str:
        return self.event_ics_url(occurrence.event)


class DatesSerializer(serializers.ModelSerializer):
    class Meta:
        model = Occurrence
        fields = ["start", "end", "all_day"]


class EventSerializer(LinksMixin, serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    tags = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    languages = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    venue = VenueSummarySerializer(read_only=True, allow_null=True)
    organiser = serializers.CharField(source="organiser.name", read_only=True, allow_null=True)
    upcoming = DatesSerializer(
        source="upcoming_dates", many=True, read_only=True, help_text="The next 10 dates."
    )
    url = serializers.SerializerMethodField()
    ics_url = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            "id", "uid", "slug", "title", "summary", "description", "category", "tags",
            "venue", "online_url", "organiser", "timezone", "start", "end", "all_day",
            "rrule", "rdates", "exdates", "upcoming", "status", "is_free", "price_min",
            "price_max", "ticket_url", "languages", "family_friendly", "min_age", "max_age",
            "accessibility_notes", "sequence", "published_at", "updated", "url", "ics_url",
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
    tags = SlugField(slug_field="slug", queryset=Tag.objects.all(), many=True, required=False)
    languages = SlugField(
        slug_field="code", queryset=Language.objects.all(), many=True, required=False
    )
    venue = SlugField(
        slug_field="slug", queryset=Venue.objects.all(), required=False, allow_null=True
    )
    rdates = serializers.ListField(child=serializers.CharField(), required=False)
    exdates = serializers.ListField(child=serializers.CharField(), required=False)

    class Meta:
        model = Event
        fields = [
            "title", "summary", "description", "category", "tags", "venue", "online_url",
            "timezone", "start", "end", "all_day", "rrule", "rdates", "exdates", "is_free",
            "price_min", "price_max", "ticket_url", "languages", "family_friendly", "min_age",
            "max_age", "accessibility_notes",
        ]  # fmt: skip

    def validate(self, attrs):
        """The model's own rules (dates, recurrence, prices), as field errors."""
        m2m = {name: attrs.pop(name) for name in ("tags", "languages") if name in attrs}
        event = self.instance or Event()
        for name, value in attrs.items():
            setattr(event, name, value)
        if event.all_day and event.start and event.timezone in available_timezones():
            tz = event.tzinfo
            event.start = recurrence.to_aware(
                recurrence.local_start_of(event.start, tz, all_day=True), tz
            )
            if event.end:
                event.end = recurrence.to_aware(
                    recurrence.local_start_of(event.end, tz, all_day=True), tz
                )
        try:
            event.full_clean(exclude=["slug"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        attrs.update(m2m)
        attrs["_event"] = event
        return attrs

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


class OrganiserEventSerializer(EventSerializer):
    """An event as its organiser sees it after a write: with its publication state, and
    whether an edit waits for the editors (the fields show the published version)."""

    upcoming = None
    changes_pending = serializers.SerializerMethodField(
        help_text="An edit of this published event waits for the editors; until they "
        "approve it, the published version stays public."
    )

    class Meta(EventSerializer.Meta):
        fields = [name for name in EventSerializer.Meta.fields if name != "upcoming"]
        fields += ["publication_state", "changes_pending"]

    def get_changes_pending(self, event: Event) -> bool:
        return event.pending_change is not None


class ArticleSerializer(serializers.ModelSerializer):
    tags = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Article
        fields = ["id", "title", "url", "excerpt", "author", "published_on", "image_url", "tags"]


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name"]


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["slug", "name"]


# Viewsets


class PublicCacheMixin:
    """Anonymous list answers may be shared from the cache while the data is unchanged
    (diary.cache); organisers, who may see their own writes, never are."""

    cacheable_actions = ("list",)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        response.cacheable = request.auth is None
        return response


class LastModifiedMixin:
    """A detail response says when its data last changed, so that If-Modified-Since gets a
    304 (ConditionalGetMiddleware); every response also carries an ETag of its content."""

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        response = Response(self.get_serializer(instance).data)
        response["Last-Modified"] = http_date(self.last_modified(instance).timestamp())
        return response


@extend_schema_view(
    list=extend_schema(
        summary="Dates matching the agenda's parameters",
        description="The main collection for agenda clients: one row per date, sorted by "
        "start, from now by default.",
        parameters=AGENDA_PARAMETERS,
        responses=documented({200: OccurrenceSerializer(many=True)}, 400, 404),
        examples=[
            OpenApiExample(
                "This weekend's free music",
                summary="?when=weekend&category=music&free=true",
                value=page_of(OCCURRENCE_EXAMPLE),
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        summary="One date", responses=documented({200: OccurrenceSerializer}, 404)
    ),
)
class OccurrenceViewSet(PublicCacheMixin, LastModifiedMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = OccurrenceSerializer
    lookup_value_regex = "[0-9]{1,18}"
    filter_backends = [AgendaFilterBackend, filters.OrderingFilter]
    ordering_fields = ["start", "end"]
    ordering = ["start", "event_id"]

    def get_queryset(self):
        return Occurrence.objects.public().for_listing()

    def last_modified(self, occurrence: Occurrence):
        return occurrence.event.updated


@extend_schema_view(
    list=extend_schema(
        summary="Events with a date matching the agenda's parameters",
        description="Each event once, with its recurrence rule and its next dates.",
        parameters=AGENDA_PARAMETERS,
        responses=documented({200: EventSerializer(many=True)}, 400, 404),
    ),
    retrieve=extend_schema(
        summary="One event, by id or by slug",
        parameters=[OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses=documented({200: EventDetailSerializer}, 404),
    ),
    create=extend_schema(
        summary="Submit an event (organiser token)",
        description="It waits for moderation unless the organiser is trusted.",
        request=EventWriteSerializer,
        responses=documented({201: OrganiserEventSerializer}, 400, 401),
        examples=[
            OpenApiExample("A monthly event", value=EVENT_WRITE_EXAMPLE, request_only=True),
            OpenApiExample(
                "Refused",
                value={"end": ["The end must be after the start."]},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    ),
    partial_update=extend_schema(
        summary="Change one of your events (organiser token)",
        parameters=[OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH)],
        request=EventWriteSerializer,
        responses=documented({200: OrganiserEventSerializer}, 400, 401, 404),
    ),
    destroy=extend_schema(
        summary="Cancel one of your events (organiser token)",
        description="The event is marked cancelled, never erased: calendars that have it "
        "learn it is off.",
        parameters=[OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses=documented({204: None}, 401, 404),
    ),
)
class EventViewSet(
    PublicCacheMixin,
    LastModifiedMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    filter_backends = [AgendaFilterBackend, filters.OrderingFilter]
    ordering_fields = ["start", "title", "published_at", "updated"]
    ordering = ["start", "pk"]
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_serializer_class(self):
        if self.action in {"create", "partial_update", "update"}:
            return EventWriteSerializer
        if self.action == "retrieve":
            return EventDetailSerializer
        return EventSerializer

    def get_queryset(self):
        if self.action in {"partial_update", "update", "destroy"}:
            # Organisers write only to their own events, whatever their state.
            return Event.objects.filter(organiser=self.request.auth.organiser)
        upcoming = Occurrence.objects.upcoming().order_by("start")[:10]
        return (
            Event.objects.published()
            .select_related("venue", "category", "organiser")
            .prefetch_related(
                "tags",
                "languages",
                Prefetch("occurrences", queryset=upcoming, to_attr="upcoming_dates"),
            )
        )

    def get_object(self):
        value = self.kwargs["pk"]
        # An id is ASCII digits ("²".isdigit() is true too); anything else is a slug.
        lookup = {"pk": int(value)} if re.fullmatch(r"[0-9]{1,18}", value) else {"slug": value}
        event = get_object_or_404(self.get_queryset(), **lookup)
        self.check_object_permissions(self.request, event)
        return event

    def last_modified(self, event: Event):
        return event.updated

    def perform_destroy(self, instance):
        if instance.status != Event.Status.CANCELLED:
            services.event_cancel(event=instance)

    def destroy(self, request, *args, **kwargs):
        super().destroy(request, *args, **kwargs)
        return Response(status=204)


@extend_schema_view(
    list=extend_schema(responses=documented({200: ArticleSerializer(many=True)}, 404)),
    retrieve=extend_schema(responses=documented({200: ArticleSerializer}, 404)),
)
class ArticleViewSet(viewsets.ReadOnlyModelViewSet):
    """The magazine's stories, newest first."""

    serializer_class = ArticleSerializer
    lookup_value_regex = "[0-9]{1,18}"

    def get_queryset(self):
        return Article.objects.visible().prefetch_related("tags").order_by("-published_on", "pk")


@extend_schema_view(
    list=extend_schema(responses=documented({200: CategorySerializer(many=True)}, 404)),
    retrieve=extend_schema(responses=documented({200: CategorySerializer}, 404)),
)
class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CategorySerializer
    queryset = Category.objects.all()
    lookup_field = "slug"


@extend_schema_view(
    list=extend_schema(responses=documented({200: TagSerializer(many=True)}, 404)),
    retrieve=extend_schema(responses=documented({200: TagSerializer}, 404)),
)
class TagViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TagSerializer
    queryset = Tag.objects.order_by("name", "pk")
    lookup_field = "slug"
