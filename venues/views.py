from django.shortcuts import get_object_or_404, render

from common.caching import cacheable
from common.listing import feed_links, group_by_day
from common.translation import in_language, named
from diary.models import Occurrence
from venues.models import Municipality, Venue

VENUE_EVENTS = 60


@cacheable
def venue_list(request):
    venues = Venue.objects.select_related("municipality").order_by(in_language("name"), "pk")
    area = request.GET.get("area", "")
    areas = list(named(Municipality.objects.all()))
    known = any(slug == area for slug, _name in areas)
    if known:
        venues = venues.filter(municipality__slug=area)
    venues = list(venues)
    places = [
        {
            "name": venue.name,
            "lat": float(venue.latitude),
            "lon": float(venue.longitude),
            "url": venue.get_absolute_url(),
        }
        for venue in venues
        if venue.latitude is not None and venue.longitude is not None
    ]
    return render(
        request,
        "venues/venue_list.html",
        {
            "venues": venues,
            "places": places,
            "areas": areas,
            "area": area,
            "unknown_area": bool(area) and not known,
        },
    )


@cacheable
def venue_detail(request, slug: str):
    venue = get_object_or_404(Venue.objects.select_related("municipality"), slug=slug)
    occurrences = list(
        Occurrence.objects.public()
        .upcoming()
        .filter(event__venue=venue)
        .for_day_lists()[: VENUE_EVENTS + 1]
    )
    return render(
        request,
        "venues/venue_detail.html",
        {
            "venue": venue,
            "days": group_by_day(occurrences[:VENUE_EVENTS]),
            "more": len(occurrences) > VENUE_EVENTS,
            "feed": feed_links(request, path=f"/feeds/venues/{venue.slug}.ics"),
        },
    )
