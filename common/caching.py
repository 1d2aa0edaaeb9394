"""Which views' answers the public response cache (diary.cache) may share."""

import functools
from collections.abc import Iterable

from django.http import QueryDict


def cacheable(view):
    """Mark the view's successful answers to anonymous requests as shareable (one answer can
    still refuse: `response.cacheable = False`)."""
    view.cacheable = True
    return view


def reads_only(parameters: Iterable[str]):
    """The view reads only these query parameters: the others are dropped from the request
    before it runs, and from the response cache's key (diary.cache reads `parameters`), so
    that `?zzz=1`, `?zzz=2`… are one answer, not one render each."""
    names = frozenset(parameters)

    def mark(view):
        @functools.wraps(view)
        def answer(request, *args, **kwargs):
            drop_unknown(request, names)
            return view(request, *args, **kwargs)

        answer.parameters = names
        return answer

    return mark


def drop_unknown(request, parameters: frozenset[str] | None) -> None:
    """Keep only `parameters` in the request's query (its order kept, its encoding made
    canonical, so that `q=a%20b` and `q=a+b` are one query too); None keeps everything."""
    if parameters is None:
        return
    kept = QueryDict(mutable=True)
    for name, values in request.GET.lists():
        if name in parameters:
            kept.setlist(name, values)
    query = kept.urlencode()
    if query != request.META.get("QUERY_STRING", ""):
        request.META["QUERY_STRING"] = query
        request.GET = QueryDict(query)
