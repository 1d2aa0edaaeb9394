"""Which magazine stories go with an event ("Related stories").

The editors' own links come first; then stories sharing the most tags with the event; then
stories whose title or excerpt share words with the event's title and summary (PostgreSQL's
full-text ranking, or a word match anywhere else); newer stories first among equals; never
a story the editors excluded for this event, an unpublished one or one dated in the future.
At most four queries, whatever the size of the magazine.
"""

import operator
import re
from datetime import date
from functools import reduce

from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, Value, When

from common.translation import columns
from diary.models import Article, Event

LIMIT = 5
MAX_WORDS = 8
# Words that say nothing about a topic, in the city's languages.
STOPWORDS = {
    "about", "after", "avec", "dans", "door", "from", "heure", "into", "met", "night", "over",
    "pour", "sans", "that", "their", "this", "voor", "with", "your", "event", "events",
}  # fmt: skip


def significant_words(text: str) -> list[str]:
    words = []
    for word in re.findall(r"\w{4,}", text.lower()):
        if word not in STOPWORDS and not word.isdigit() and word not in words:
            words.append(word)
    return words[:MAX_WORDS]


def _by_words(articles, words: list[str]):
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("title", weight="A", config="simple") + SearchVector(
            "excerpt", weight="B", config="simple"
        )
        query = reduce(operator.or_, (SearchQuery(word, config="simple") for word in words))
        return (
            articles.annotate(score=SearchRank(vector, query))
            .filter(score__gt=0)
            .order_by("-score", "-published_on", "pk")
        )
    matches = [
        Case(
            When(Q(title__icontains=word) | Q(excerpt__icontains=word), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
        for word in words
    ]
    return (
        articles.annotate(score=reduce(operator.add, matches))
        .filter(score__gt=0)
        .order_by("-score", "-published_on", "pk")
    )


def related_articles(event: Event, *, limit: int = LIMIT, today: date | None = None) -> list:
    visible = Article.objects.visible(today)
    chosen = list(visible.filter(events=event).order_by("-published_on", "pk")[:limit])
    excluded = set(event.excluded_articles.values_list("pk", flat=True))
    taken = {article.pk for article in chosen} | excluded
    tag_ids = [tag.pk for tag in event.tags.all()]
    results = chosen
    if len(results) < limit and tag_ids:
        by_tags = (
            visible.filter(tags__in=tag_ids)
            .exclude(pk__in=taken)
            .annotate(shared=Count("tags", distinct=True))
            .order_by("-shared", "-published_on", "pk")[: limit - len(results)]
        )
        results = results + list(by_tags)
        taken |= {article.pk for article in results}
    # The event's words in every language, in one fixed order: its page in French, Dutch
    # or English shows the same stories.
    texts = (getattr(event, column) or "" for column in columns("title", "summary"))
    words = significant_words(" ".join(texts))
    if len(results) < limit and words:
        results = results + list(
            _by_words(visible.exclude(pk__in=taken), words)[: limit - len(results)]
        )
    return results
