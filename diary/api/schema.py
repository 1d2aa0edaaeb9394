"""What the OpenAPI document says beside the code: parameters, responses, examples."""

from drf_spectacular import openapi
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    inline_serializer,
)
from rest_framework import permissions, serializers

from common.translation import CODES
from diary.filters import WhenChoices
from diary.languages import LANG

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
            ("pick", "`true`: editors' picks only."),
        )
    ),
]


LANG_PARAMETER = OpenApiParameter(
    LANG,
    OpenApiTypes.STR,
    enum=list(CODES),
    description="The language of the answer's words (messages, names); without it, "
    "`Accept-Language`, else English. An unknown one is a 400 naming `lang`.",
)


class AutoSchema(openapi.AutoSchema):
    """Reads need no token (IsOrganiserOrReadOnly): say so, so that generated clients do
    not ask for one; a token stays optional there (an organiser may send it). Every
    operation takes `lang` (diary.languages)."""

    def get_override_parameters(self):
        return [*super().get_override_parameters(), LANG_PARAMETER]

    def get_auth(self):
        auths = super().get_auth()
        if self.method in permissions.SAFE_METHODS and {} not in auths:
            auths.insert(0, {})
        return auths


BAD_REQUEST = OpenApiResponse(
    OpenApiTypes.OBJECT, description="Each bad field or parameter, with its messages."
)
ERROR = OpenApiResponse(
    inline_serializer("Error", {"detail": serializers.CharField()}),
    description="What went wrong: no or a bad token, not found, a page out of range.",
)


THROTTLED = OpenApiResponse(
    ERROR.response,
    description="Too many requests from this address (or this organiser's token): wait the "
    "number of seconds the Retry-After header gives.",
)
UNAVAILABLE = OpenApiResponse(
    ERROR.response,
    description="The database is down or restarting: try again after the Retry-After "
    "header's seconds.",
)


UNSUPPORTED = OpenApiResponse(
    ERROR.response,
    description="The body is not in a form the API reads (JSON, a form, multipart), or its "
    "Content-Type cannot be read.",
)


def documented(ok, *codes: int) -> dict:
    """The responses of an operation: its success, then the errors it can answer. Any
    operation can answer 400 (a control character in the address, diary.middleware), 401 (a
    bad or revoked token, when one is sent), 406 (an Accept header no renderer satisfies),
    429 (throttled) and 503 (the database is unavailable)."""
    errors = {
        400: BAD_REQUEST,
        401: ERROR,
        404: ERROR,
        406: ERROR,
        415: UNSUPPORTED,
        429: THROTTLED,
        503: UNAVAILABLE,
    }
    return {**ok, **{code: errors[code] for code in sorted({400, 401, 406, 429, 503, *codes})}}


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
