from django.shortcuts import get_object_or_404, render

from diary.models import Occurrence
from diary.views import group_by_day
from venues.models import Venue


def venue_detail(request, slug: str):
    venue = get_object_or_404(Venue.objects.select_related("municipality"), slug=slug)
    occurrences = Occurrence.objects.public().upcoming().filter(event__venue=venue).for_listing()
    return render(
        request,
        "venues/venue_detail.html",
        {"venue": venue, "days": group_by_day(occurrences[:100])},
    )
