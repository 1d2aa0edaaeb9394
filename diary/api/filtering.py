"""The agenda's one FilterSet, as a DRF filter backend."""

from rest_framework import exceptions, filters

from diary.filters import AgendaFilter
from diary.models import Occurrence


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
