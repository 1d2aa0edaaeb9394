from django.urls import path

from feeds import views

app_name = "feeds"
urlpatterns = [
    path("events.ics", views.events_ics, name="events-ics"),
    path("events.rss", views.NewEventsFeed(), name="events-rss"),
    path("events.atom", views.NewEventsAtomFeed(), name="events-atom"),
    path("venues/<slug:slug>.ics", views.venue_ics, name="venue-ics"),
    path("categories/<slug:slug>.ics", views.category_ics, name="category-ics"),
]
