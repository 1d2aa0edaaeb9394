"""The API's viewsets: occurrences, events (with organisers' writes), articles, categories,
tags (venues are in diary.api.venues)."""

import re

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.http import http_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.response import Response

from diary import services
from diary.api import sync
from diary.api.access import WideRowsPagination
from diary.api.filtering import AgendaFilterBackend, OrderingFilter
from diary.api.schema import (
    AGENDA_PARAMETERS,
    EVENT_WRITE_EXAMPLE,
    OCCURRENCE_EXAMPLE,
    documented,
    page_of,
)
from diary.api.serializers import (
    ArticleSerializer,
    CategorySerializer,
    EventDetailSerializer,
    EventSerializer,
    EventWriteSerializer,
    OccurrenceSerializer,
    OrganiserEventSerializer,
    TagSerializer,
)
from diary.models import Article, Category, Event, Occurrence, Tag


class PublicCacheMixin:
    """Anonymous list answers may be shared from the cache while the data is unchanged
    (diary.cache); organisers, who may see their own writes, never are."""

    cacheable_actions = ("list",)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.action in self.cacheable_actions:
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
    pagination_class = WideRowsPagination
    lookup_value_regex = "[0-9]{1,18}"
    filter_backends = [AgendaFilterBackend, OrderingFilter]
    ordering_fields = ["start", "end"]
    ordering = ["start", "event_id"]

    def get_queryset(self):
        return Occurrence.objects.public().for_listing()

    def last_modified(self, occurrence: Occurrence):
        return occurrence.event.modified


@extend_schema_view(
    list=extend_schema(
        summary="Events with a date matching the agenda's parameters, or changed since",
        description="Each event once, with its recurrence rule and its next dates.\n\n"
        + sync.SYNC_DESCRIPTION,
        parameters=[
            *AGENDA_PARAMETERS,
            OpenApiParameter(
                sync.PARAMETER,
                OpenApiTypes.DATETIME,
                description="Delta sync: the events whose public view changed since this "
                "moment (ISO 8601 with its offset), tombstones included. See above.",
                examples=[OpenApiExample("A moment", value="2026-12-01T08:00:00Z")],
            ),
        ],
        responses=documented({200: sync.EVENTS_LIST}, 400, 404),
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
        responses=documented({201: OrganiserEventSerializer}, 400, 401, 415),
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
        responses=documented({200: OrganiserEventSerializer}, 400, 401, 404, 415),
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
    filter_backends = [AgendaFilterBackend, OrderingFilter]
    pagination_class = WideRowsPagination
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
            .for_reading()
            .select_related("venue", "category", "organiser")
            .prefetch_related(
                "tags",
                "languages",
                Prefetch("occurrences", queryset=upcoming, to_attr="upcoming_dates"),
            )
        )

    def list(self, request, *args, **kwargs):
        if sync.PARAMETER in request.query_params:
            return sync.delta_response(self, request)
        return super().list(request, *args, **kwargs)

    def get_object(self):
        value = self.kwargs["pk"]
        # An id is ASCII digits ("²".isdigit() is true too); anything else is a slug.
        lookup = {"pk": int(value)} if re.fullmatch(r"[0-9]{1,18}", value) else {"slug": value}
        event = get_object_or_404(self.get_queryset(), **lookup)
        self.check_object_permissions(self.request, event)
        return event

    def last_modified(self, event: Event):
        return event.modified

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
    queryset = Tag.objects.order_by("name_en", "pk")
    lookup_field = "slug"
