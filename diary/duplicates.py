"""Is this event already listed? Organisers resubmit, imports overlap, two organisers
announce the same concert.

An event's likely duplicates are the other events (not rejected) at the same place (the same
venue; without one, the same online address or proposed venue) with a date overlapping its
first one, and a similar title in any language: trigram similarity on PostgreSQL (pg_trgm),
a comparison of normalised words on SQLite. Asking works for an event not yet saved (the
form asks before submitting); recording a suspicion and resolving it are services
(diary.services.duplicate_*).
"""

from datetime import timedelta

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Greatest

from common.translation import columns
from diary.models import Event, Occurrence
from diary.text import searchable

# How long an event without an end is taken to last.
ASSUMED_LENGTH = timedelta(hours=2)
# Titles at least this similar are suspected: pg_trgm's own default threshold, and half the
# words of the shorter title.
TRIGRAM_SIMILARITY = 0.3
WORD_OVERLAP = 0.5
# Candidates compared in Python on SQLite (same place, same time: a handful at most).
CANDIDATES = 50
SUGGESTIONS = 5
# Words too common to tell two titles apart.
COMMON_WORDS = frozenset(
    {"the", "and", "with", "for", "live"}  # en
    | {"les", "des", "une", "avec", "pour"}  # fr
    | {"het", "een", "met", "voor", "van"}  # nl
)


def words(title: str) -> frozenset[str]:
    """A title's distinguishing words: no case, no accents, no punctuation, no short or
    common words ("Le Jazz, live!" and "jazz LIVE" share "jazz")."""
    normal = "".join(char if char.isalnum() else " " for char in searchable(title))
    return frozenset(word for word in normal.split() if len(word) > 2) - COMMON_WORDS


def word_similarity(first: str, second: str) -> float:
    """The share of the shorter title's words that the other has too (0 to 1)."""
    a, b = words(first), words(second)
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def own_titles(event: Event) -> list[str]:
    return [text for text in (getattr(event, name) for name in columns("title")) if text]


def same_place(event: Event) -> Q | None:
    if event.venue_id:
        return Q(venue_id=event.venue_id)
    if event.online_url:
        return Q(venue__isnull=True, online_url=event.online_url)
    if event.venue_proposal.strip():
        return Q(venue__isnull=True, venue_proposal__iexact=event.venue_proposal.strip())
    return None


def candidates(event: Event) -> QuerySet[Event]:
    """The other events at the same place with a date overlapping the event's first one
    (for an imported event, from elsewhere than its own calendar)."""
    place = same_place(event)
    if place is None or event.start is None:
        return Event.objects.none()
    start = event.start
    end = event.end if event.end and event.end > start else start + ASSUMED_LENGTH
    overlapping = Occurrence.objects.still_on(start).filter(event=OuterRef("pk"), start__lt=end)
    found = (
        Event.objects.filter(place)
        .exclude(publication_state=Event.PublicationState.REJECTED)
        .filter(Exists(overlapping))
    )
    if event.source:  # a calendar's own events are told apart by their UIDs
        found = found.exclude(source=event.source)
    return found.exclude(pk=event.pk) if event.pk else found


def likely_duplicates(event: Event, *, limit: int = SUGGESTIONS) -> list[Event]:
    """The events this one most likely repeats, most similar first."""
    titles = own_titles(event)
    if not titles:
        return []
    found = candidates(event).select_related("venue")
    if connection.vendor == "postgresql":
        similarity = Greatest(
            *(TrigramSimilarity(column, title) for column in columns("title") for title in titles)
        )
        return list(
            found.annotate(similarity=similarity)
            .filter(similarity__gte=TRIGRAM_SIMILARITY)
            .order_by("-similarity", "pk")[:limit]
        )
    scored = []
    for other in found.order_by("pk")[:CANDIDATES]:
        score = max(
            word_similarity(title, theirs) for title in titles for theirs in own_titles(other)
        )
        if score >= WORD_OVERLAP:
            scored.append((-score, other.pk, other))
    return [other for _score, _pk, other in sorted(scored)[:limit]]
