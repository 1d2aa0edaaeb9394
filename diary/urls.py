"""The agenda's pages (in every language: config.urls puts them under each prefix)."""

from django.urls import path

from diary import embed, letter_views, submissions, views
from feeds import views as feed_views

app_name = "diary"
urlpatterns = [
    path("", views.agenda, name="agenda"),
    path("month/", views.agenda_month, name="agenda-month"),
    path("venue-options/", views.venue_options, name="venue-options"),
    path("events/<slug:slug>/", views.event_detail, name="event-detail"),
    path("events/<slug:slug>.ics", feed_views.event_ics, name="event-ics"),
    path("tags/<slug:slug>/", views.tag_detail, name="tag-detail"),
    path("submit/", submissions.submit, name="submit"),
    path("submit/preview/", submissions.submission_preview, name="submission-preview"),
    path("submit/manage/<str:token>/", submissions.manage, name="submission-manage"),
    path("subscribe/", feed_views.subscribe, name="subscribe"),
    path("embed/builder/", embed.embed_builder, name="embed-builder"),
    path("letter/", letter_views.letter_subscribe, name="letter-subscribe"),
    path("letter/confirm/<str:token>/", letter_views.letter_confirm, name="letter-confirm"),
    path("letter/<str:token>/", letter_views.letter_manage, name="letter-manage"),
    path(
        "letter/<str:token>/unsubscribe/",
        letter_views.letter_unsubscribe,
        name="letter-unsubscribe",
    ),
]
