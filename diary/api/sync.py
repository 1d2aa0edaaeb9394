"""Delta sync: `GET /api/v1/events/?updated_since=<ISO 8601 datetime with offset>`.

Every event whose public view changed since then, read from the change journal
(diary.journal) and nothing else, in the order of its last change, a cursor page at a time.
An event that is public answers in full, with `state: "published"` (a cancelled one too, with
its status); one no longer public (rejected, withdrawn, deleted) answers as a tombstone:
`id`, `uid`, `updated` and `state: "withdrawn"`, nothing else.

The loop a partner runs: read the whole list once (`/api/v1/events/`), remember the latest
`updated` seen; then, every few minutes, ask `updated_since` that value minus a few seconds
(a write still committing may carry a slightly earlier time), follow `next` to the end, apply
each item by its `id` or `uid`, and remember the latest `updated` again. Items seen twice
are harmless: each carries the whole current state.
"""

import re
from datetime import UTC, datetime

from django.db.models import Max
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import PolymorphicProxySerializer, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from diary.api.serializers import EventSerializer
from diary.languages import LANG
from diary.models import ChangedEvent

PARAMETER = "updated_since"
# The parameters a delta request may carry beside `updated_since`.
ALLOWED = {PARAMETER, "cursor", "page_size", "format", LANG}
# "+01:00" arrives as " 01:00" when a client does not encode the plus sign.
UNENCODED_PLUS = re.compile(r"^(\S+T\S+) (\d\d(:?\d\d)?)$")

SYNC_DESCRIPTION = (
    "**Delta sync.** With `updated_since` (an ISO 8601 date and time with its offset, e.g. "
    "`2026-12-01T08:00:00Z`), the list holds every event whose public view changed since "
    "then, in the order of its last change, a page at a time (follow `next`; there is no "
    "`count`; the page repeats `updated_since`). A public event answers in full with "
    "`state: published` (a cancelled one too, with its `status`). An event no longer "
    "public (rejected, withdrawn or deleted) answers as a tombstone: `id`, `uid`, "
    "`updated` and `state: withdrawn`, nothing else. "
    "`updated_since` cannot be combined with the agenda's parameters.\n\n"
    "The sync loop: read `/api/v1/events/` once in full and keep the latest `updated`; "
    "then ask `updated_since` with that value minus a few seconds (a write still "
    "committing may carry an earlier time), follow `next` to the end, apply each item by "
    "`id` or `uid`, and keep the latest `updated` again. Seeing an item twice is harmless."
)


def since_from(params) -> datetime:
    """The `updated_since` moment; a ValidationError naming the parameter otherwise."""
    value = params.get(PARAMETER, "").strip()
    value = UNENCODED_PLUS.sub(r"\1+\2", value)
    others = sorted(set(params) - ALLOWED)
    if others:
        raise exceptions.ValidationError(
            {PARAMETER: [_("Cannot be combined with: %(names)s.") % {"names": ", ".join(others)}]}
        )
    try:
        moment = parse_datetime(value)
        # In UTC: an old date in the city's zone has an offset in seconds (local mean time)
        # that RFC 3339, and so the answer, cannot carry.
        moment = moment.astimezone(UTC) if moment and moment.tzinfo else None
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise exceptions.ValidationError(
            {
                PARAMETER: [
                    _(
                        "Give a date and time with its offset, e.g. 2026-12-01T08:00:00Z "
                        "or 2026-12-01T09:00:00+01:00."
                    )
                ]
            }
        )
    return moment


class ChangePagination(CursorPagination):
    """Pages by each event's last journal row: stable while writes go on (an event that
    changes again moves to the end, where the loop will meet it)."""

    ordering = "seq"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def changes_since(since: datetime):
    """One row per event changed since `since`: its id, UID, last change time and row."""
    return (
        ChangedEvent.objects.filter(at__gte=since)
        .values("event_pk")
        .annotate(seq=Max("id"), updated=Max("at"), uid=Max("uid"))
        .order_by("seq")
    )


TIME = serializers.DateTimeField()


def tombstone(row: dict, updated: str) -> dict:
    return {"id": row["event_pk"], "uid": row["uid"], "updated": updated, "state": "withdrawn"}


def delta_response(view, request):
    """The page of changes for `view` (the events viewset), in constant queries."""
    since = since_from(request.query_params)
    paginator = ChangePagination()
    # No view: its ordering filter would replace the journal's order.
    rows = paginator.paginate_queryset(changes_since(since), request, view=None)
    public = {
        event.pk: event
        for event in view.get_queryset().filter(pk__in=[row["event_pk"] for row in rows])
    }
    serializer = view.get_serializer_class()
    results = []
    for row in rows:
        event = public.get(row["event_pk"])
        if event is None:
            results.append(tombstone(row, TIME.to_representation(row["updated"])))
        else:
            results.append(
                {**serializer(event, context=view.get_serializer_context()).data,
                 "state": "published"}
            )  # fmt: skip
    return Response(
        {
            PARAMETER: since.isoformat().replace("+00:00", "Z"),
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": results,
        }
    )


# The OpenAPI description of the events list: a page of the agenda's events, or (with
# `updated_since`) a page of changes.


class PublishedEventSerializer(EventSerializer):
    state = serializers.ChoiceField(choices=["published"], help_text="Public.")

    class Meta(EventSerializer.Meta):
        fields = [*EventSerializer.Meta.fields, "state"]


def _page(name: str, results, *, first: dict):
    return inline_serializer(
        name,
        {
            **first,
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": results,
        },
    )


EVENTS_LIST = PolymorphicProxySerializer(
    component_name="EventsListOrChanges",
    serializers=[
        _page(
            "PaginatedEventList",
            EventSerializer(many=True),
            first={"count": serializers.IntegerField()},
        ),
        _page(
            "EventChanges",
            PolymorphicProxySerializer(
                component_name="EventChange",
                serializers=[
                    PublishedEventSerializer,
                    inline_serializer(
                        "Tombstone",
                        {
                            "id": serializers.IntegerField(),
                            "uid": serializers.CharField(),
                            "updated": serializers.DateTimeField(),
                            "state": serializers.ChoiceField(
                                choices=["withdrawn"],
                                help_text="Rejected, unpublished or deleted: no longer public.",
                            ),
                        },
                    ),
                ],
                resource_type_field_name=None,
                many=True,
            ),
            first={"updated_since": serializers.DateTimeField(help_text="As asked.")},
        ),
    ],
    resource_type_field_name=None,
    many=False,
)
