"""The REST API: reads, the shared filter, writes with organiser tokens, HTTP behaviour."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from diary.demo import demo_city_seed
from diary.models import ApiToken, Event
from tests.factories import (
    ArticleFactory,
    CategoryFactory,
    EventFactory,
    MunicipalityFactory,
    OrganiserFactory,
    TagFactory,
    VenueFactory,
    local,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def organiser():
    return OrganiserFactory(name="Collectif Canal")


@pytest.fixture
def token(organiser):
    return ApiToken.objects.create(organiser=organiser, name="website").key


def authorised(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def new_event(**overrides) -> dict:
    data = {
        "title": "Canal clean-up",
        "start": "2026-12-05T10:00:00+01:00",
        "end": "2026-12-05T13:00:00+01:00",
        "venue": VenueFactory(slug="kanal").slug,
        "category": CategoryFactory(slug="sport", name="Sport").slug,
        "is_free": True,
    }
    data.update(overrides)
    return data


# Reading


def test_an_occurrence_carries_what_design_md_promises(api):
    venue = VenueFactory(slug="flagey", name="Flagey")
    event = EventFactory(title="Jazz", venue=venue, start=local(2026, 12, 1, 19))
    [row] = api.get("/api/v1/occurrences/", {"start": "2026-12-01"}).json()["results"]
    assert row["event"] == {
        "id": event.pk,
        "slug": event.slug,
        "title": "Jazz",
        "uid": event.uid,
        "is_pick": False,
    }
    assert row["start"] == "2026-12-01T19:00:00+01:00"
    assert row["end"] == "2026-12-01T21:00:00+01:00"
    assert row["all_day"] is False
    assert row["status"] == "scheduled"
    assert row["venue"] == {"slug": "flagey", "name": "Flagey"}
    assert row["url"] == f"http://testserver/events/{event.slug}/"
    assert row["ics_url"] == f"http://testserver/events/{event.slug}.ics"


def test_occurrences_say_their_kind_and_the_kind_parameter_selects_one(api):
    EventFactory(title="Concert", start=local(2026, 12, 1, 19))
    EventFactory(title="Market", start=local(2026, 12, 2), end=local(2026, 12, 3), all_day=True)
    EventFactory(title="Show", start=local(2026, 12, 1), end=local(2026, 12, 20), all_day=True)

    def kinds(query: str = "") -> dict[str, str]:
        rows = api.get(f"/api/v1/occurrences/?start=2026-12-01{query}").json()["results"]
        return {row["event"]["title"]: row["kind"] for row in rows}

    assert kinds() == {"Concert": "happening", "Market": "happening", "Show": "run"}
    assert kinds("&kind=run") == {"Show": "run"}
    assert kinds("&kind=happening") == {"Concert": "happening", "Market": "happening"}
    assert api.get("/api/v1/occurrences/?kind=exhibition").status_code == 400


def test_an_occurrence_without_venue_says_null(api):
    EventFactory(venue=None, online_url="https://stream.example")
    [row] = api.get("/api/v1/occurrences/").json()["results"]
    assert row["venue"] is None


@pytest.mark.parametrize("value", ["²", "99999999999999999999999", "٣", "0x10"])
def test_odd_ids_are_not_found_never_an_error(api, value):
    for path in ("events", "occurrences", "articles", "venues", "tags"):
        response = api.get(f"/api/v1/{path}/{value}/")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."} or "detail" in response.json()


@pytest.mark.parametrize(
    "url",
    [
        "/?q=a%00b",
        "/?category=%00",
        "/api/v1/venues/?area=%00",
        "/api/v1/occurrences/?tag=x%00",
        "/api/v1/events/a%00b/",
        "/feeds/events.ics?q=%00",
        "/feeds/events.rss?venue=%00",
    ],
)
def test_a_nul_character_in_an_address_is_a_400_everywhere(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert b"control character" in response.content


def test_a_nul_character_in_a_submitted_slug_is_a_field_error(token):
    response = authorised(token).post(
        "/api/v1/events/", new_event(venue="kan\x00al", tags=["a\x00"]), format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"venue", "tags"}


def test_an_event_carries_its_rule_and_next_dates_by_id_or_slug(api):
    event = EventFactory(start=timezone.now() + timedelta(days=1), rrule="FREQ=DAILY;COUNT=15")
    by_id = api.get(f"/api/v1/events/{event.pk}/").json()
    by_slug = api.get(f"/api/v1/events/{event.slug}/").json()
    assert by_id == by_slug
    assert by_id["rrule"] == "FREQ=DAILY;COUNT=15"
    assert len(by_id["upcoming"]) == 10
    assert by_id["ics_url"].endswith(f"/events/{event.slug}.ics")


@pytest.mark.parametrize("state", [Event.PublicationState.PENDING, Event.PublicationState.REJECTED])
def test_unpublished_events_are_nowhere_in_the_api(api, state):
    hidden = EventFactory(publication_state=state)
    assert api.get("/api/v1/events/").json()["count"] == 0
    assert api.get("/api/v1/occurrences/").json()["count"] == 0
    assert api.get(f"/api/v1/events/{hidden.pk}/").status_code == 404
    assert api.get(f"/api/v1/events/{hidden.slug}/").status_code == 404
    occurrence = hidden.occurrences.get()
    assert api.get(f"/api/v1/occurrences/{occurrence.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [("start=2026-13-45", "start"), ("category=nope", "category"), ("free=maybe", "free")],
)
def test_a_bad_parameter_is_a_400_naming_it(api, query, field):
    for path in ("/api/v1/occurrences/", "/api/v1/events/"):
        response = api.get(f"{path}?{query}")
        assert response.status_code == 400
        assert list(response.json()) == [field]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "when=month",
        "category=music&category=market",
        "free=true&family=true",
        "pick=true",
        "q=market",
        "area=brussels&accessible=true",
        "tag=smart-city&language=fr",
        "start=2026-01-01&end=2027-12-31",
    ],
)
def test_the_api_and_the_agenda_page_return_the_same_occurrences(api, client, query):
    """The page lists the happenings and groups the runs (diary.runs); the API lists both
    unless `kind` is given, and with it gives exactly what the page lists."""
    demo_city_seed(events=120, venues=18, seed=9)
    listed = client.get(f"/?{query}").context
    for kind, page in (("happening", listed["page"]), ("run", None)):
        if page is None:
            page = client.get(f"/?{query}&kind={kind}").context["page"]
        results = api.get(f"/api/v1/occurrences/?{query}&kind={kind}&page_size=100").json()
        assert results["count"] == page.paginator.count
        assert [row["id"] for row in results["results"][: len(page)]] == [o.pk for o in page]
        if kind == "run":
            runs = {row["event"]["id"] for row in results["results"]}
            assert listed["runs"].total == len(runs)
    both = api.get(f"/api/v1/occurrences/?{query}").json()["count"]
    assert both == listed["page"].paginator.count + page.paginator.count


def test_the_events_list_is_the_events_of_the_matching_occurrences(api):
    music = CategoryFactory(slug="music", name="Music")
    gig = EventFactory(category=music, rrule="FREQ=DAILY;COUNT=5")
    EventFactory(category=CategoryFactory(slug="film", name="Film"))
    results = api.get("/api/v1/events/", {"category": "music"}).json()
    assert [row["id"] for row in results["results"]] == [gig.pk]


def test_pages_are_capped_and_ordering_is_offered(api):
    EventFactory(rrule="FREQ=DAILY;COUNT=150")
    body = api.get("/api/v1/occurrences/", {"page_size": 1000}).json()
    assert body["count"] == 150
    assert len(body["results"]) == 100
    assert "page=2" in body["next"]
    newest = api.get("/api/v1/occurrences/", {"ordering": "-start"}).json()["results"][0]
    oldest = api.get("/api/v1/occurrences/").json()["results"][0]
    assert newest["start"] > oldest["start"]
    assert api.get("/api/v1/occurrences/", {"page": 99}).status_code == 404


def test_venues_categories_tags_and_articles(api):
    flagey = VenueFactory(slug="flagey", name="Flagey", latitude="50.827600", longitude="4.372200")
    VenueFactory(slug="bozar", name="Bozar")
    venue = api.get("/api/v1/venues/flagey/").json()
    assert (venue["latitude"], venue["longitude"]) == ("50.827600", "4.372200")
    assert venue["url"] == "http://testserver/venues/flagey/"
    area = api.get("/api/v1/venues/", {"area": flagey.municipality.slug}).json()
    assert [v["slug"] for v in area["results"]] == ["flagey"]
    assert {c["slug"] for c in api.get("/api/v1/categories/").json()["results"]} >= {"music"}
    TagFactory(slug="smart-city", name="smart city", name_nl="slimme stad")
    assert api.get("/api/v1/tags/smart-city/").json() == {
        "slug": "smart-city",
        "name": "smart city",
        "translations": {"en": {"name": "smart city"}, "nl": {"name": "slimme stad"}},
    }
    assert api.get("/api/v1/tags/smart-city/", {"lang": "nl"}).json()["name"] == "slimme stad"
    assert api.get("/api/v1/tags/smart-city/", {"lang": "fr"}).json()["name"] == "smart city"
    ArticleFactory(title="Story")
    assert api.get("/api/v1/articles/").json()["results"][0]["title"] == "Story"


# Writing with an organiser token


def test_an_organiser_submits_an_event_that_waits_for_moderation(token, organiser):
    response = authorised(token).post("/api/v1/events/", new_event(), format="json")
    assert response.status_code == 201, response.json()
    event = Event.objects.get()
    assert response.json()["publication_state"] == "pending"
    assert event.organiser == organiser
    assert event.venue.slug == "kanal"
    assert event.occurrences.count() == 1
    assert not Event.objects.published().exists()


def test_a_trusted_organiser_publishes_directly(organiser, token):
    organiser.is_trusted = True
    organiser.save()
    response = authorised(token).post(
        "/api/v1/events/", new_event(tags=[TagFactory(slug="canal").slug]), format="json"
    )
    assert response.json()["publication_state"] == "published"
    assert list(Event.objects.get().tags.values_list("slug", flat=True)) == ["canal"]


def test_an_organiser_says_who_performs_and_when_it_is_sold_out(organiser, token, api):
    organiser.is_trusted = True
    organiser.save()
    client = authorised(token)
    response = client.post("/api/v1/events/", new_event(performers="Trio Marolles"), format="json")
    event_id = response.json()["id"]
    assert (response.json()["performers"], response.json()["sold_out"]) == ("Trio Marolles", False)
    client.patch(f"/api/v1/events/{event_id}/", {"sold_out": True}, format="json")
    public = api.get(f"/api/v1/events/{event_id}/").json()
    assert (public["performers"], public["sold_out"]) == ("Trio Marolles", True)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end": "2026-12-05T09:00:00+01:00"}, "end", "The end must be after the start."),
        ({"rrule": "EVERY MONDAY"}, "rrule", "NAME=VALUE"),
        ({"venue": "nowhere"}, "venue", "does not exist"),
        ({"timezone": "Mars/Olympus"}, "timezone", "not a known time zone"),
        ({"title": ""}, "title", "blank"),
        ({"exdates": ["31/12/2026"]}, "exdates", "is not a date"),
        ({"performers": "Trio\nMarolles"}, "performers", "Remove the line breaks"),
    ],
)
def test_bad_data_is_a_400_with_field_messages_and_saves_nothing(token, changes, field, message):
    response = authorised(token).post("/api/v1/events/", new_event(**changes), format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not Event.objects.exists()


def test_writing_needs_a_valid_active_token(api, organiser):
    assert api.post("/api/v1/events/", new_event(), format="json").status_code == 401
    bad = authorised("not-a-token").post("/api/v1/events/", new_event(), format="json")
    assert bad.status_code == 401
    assert bad["WWW-Authenticate"] == "Token"
    revoked = ApiToken.objects.create(organiser=organiser, is_active=False)
    assert (
        authorised(revoked.key).post("/api/v1/events/", new_event(), format="json").status_code
        == 401
    )
    assert not Event.objects.exists()


def test_an_organiser_changes_their_own_event_and_calendars_notice(token):
    client = authorised(token)
    event_id = client.post("/api/v1/events/", new_event(), format="json").json()["id"]
    response = client.patch(
        f"/api/v1/events/{event_id}/",
        {"start": "2026-12-05T11:00:00+01:00", "end": "2026-12-05T14:00:00+01:00"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    event = Event.objects.get()
    assert event.sequence == 1
    assert event.occurrences.get().start == local(2026, 12, 5, 11)


def test_deleting_cancels_and_keeps_the_event(token):
    client = authorised(token)
    event_id = client.post("/api/v1/events/", new_event(), format="json").json()["id"]
    assert client.delete(f"/api/v1/events/{event_id}/").status_code == 204
    event = Event.objects.get()
    assert event.status == Event.Status.CANCELLED
    assert event.occurrences.exists()


def test_nobody_writes_to_someone_elses_event(token, api):
    theirs = EventFactory(organiser=OrganiserFactory())
    client = authorised(token)
    assert (
        client.patch(f"/api/v1/events/{theirs.pk}/", {"title": "Mine"}, format="json").status_code
        == 404
    )
    assert client.delete(f"/api/v1/events/{theirs.pk}/").status_code == 404
    assert (
        api.patch(f"/api/v1/events/{theirs.pk}/", {"title": "Mine"}, format="json").status_code
        == 401
    )
    assert api.delete(f"/api/v1/events/{theirs.pk}/").status_code == 401
    theirs.refresh_from_db()
    assert (theirs.title, theirs.status) != ("Mine", Event.Status.CANCELLED)
    assert theirs.status == Event.Status.SCHEDULED


def test_put_is_not_offered(token):
    event = EventFactory()
    assert (
        authorised(token).put(f"/api/v1/events/{event.pk}/", {}, format="json").status_code == 405
    )


# HTTP behaviour


def test_clients_over_their_rate_get_429_with_retry_after(api, monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": "5/minute"}
    )
    codes = [api.get("/api/v1/categories/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = api.get("/api/v1/categories/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60


def test_anonymous_clients_are_held_to_the_anonymous_rate_only(api, monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "5/minute", "user": "1/minute"}
    )
    assert [api.get("/api/v1/tags/").status_code for _ in range(6)] == [200] * 5 + [429]


def test_organisers_are_counted_apart_from_anonymous_clients(token, monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "1/minute", "user": "3/minute"}
    )
    APIClient().get("/api/v1/tags/")
    codes = [authorised(token).get("/api/v1/tags/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


@pytest.mark.parametrize("path", ["/api/v1/occurrences/", "/api/v1/events/", "/api/v1/venues/"])
def test_lists_answer_304_when_nothing_changed(api, path):
    EventFactory()
    first = api.get(path)
    assert first["ETag"]
    again = api.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_a_changed_list_gets_a_new_etag(api):
    EventFactory()
    etag = api.get("/api/v1/events/")["ETag"]
    EventFactory()
    assert api.get("/api/v1/events/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_details_answer_304_by_etag_and_by_date(api):
    event = EventFactory()
    first = api.get(f"/api/v1/events/{event.pk}/")
    assert (
        api.get(f"/api/v1/events/{event.pk}/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    )
    assert first["Last-Modified"]
    since = api.get(f"/api/v1/events/{event.pk}/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304


def test_partner_sites_may_read_from_any_origin_but_not_write(api):
    response = api.get("/api/v1/events/", HTTP_ORIGIN="https://partner.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = api.options(
        "/api/v1/events/",
        HTTP_ORIGIN="https://partner.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert "POST" not in preflight.get("Access-Control-Allow-Methods", "")


def test_the_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/occurrences/", "/api/v1/events/", "/api/v1/events/{id}/"} <= set(paths)
    names = {p["name"] for p in paths["/api/v1/occurrences/"]["get"]["parameters"]}
    assert {
        "start",
        "end",
        "when",
        "category",
        "tag",
        "venue",
        "area",
        "q",
        "free",
        "language",
        "accessible",
        "family",
        "pick",
        "page",
        "page_size",
        "ordering",
    } <= names
    occurrences = paths["/api/v1/occurrences/"]["get"]
    assert occurrences["summary"] and occurrences["description"]
    assert occurrences["responses"]["200"]["content"]["application/json"]["examples"]
    assert all(p.get("description") for p in occurrences["parameters"])
    create = paths["/api/v1/events/"]["post"]["requestBody"]["content"]["application/json"]
    assert create["examples"]
    docs = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs
    assert "cdn" not in docs.lower()


# Query counts


@pytest.mark.parametrize(
    ("path", "ceiling"),
    [
        ("/api/v1/occurrences/?page_size=100", 3),
        ("/api/v1/occurrences/?page_size=100&category=music&language=fr&free=true", 6),
        ("/api/v1/events/?page_size=100", 6),
        ("/api/v1/venues/?page_size=100", 2),
        ("/api/v1/articles/?page_size=100", 3),
    ],
)
def test_lists_run_a_constant_number_of_queries(api, path, ceiling):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(path).status_code == 200
        return len(queries)

    demo_city_seed(events=60, venues=18, seed=4)
    small = count()
    demo_city_seed(events=500, venues=18, seed=4)
    assert small == count() <= ceiling


def test_the_venue_list_refuses_an_unknown_area_as_every_door_does(client):
    VenueFactory(municipality=MunicipalityFactory(slug="ixelles", name="Ixelles"))
    assert client.get("/api/v1/venues/?area=ixelles").json()["count"] == 1
    response = client.get("/api/v1/venues/?area=unknown")
    assert response.status_code == 400
    assert "unknown" in response.json()["area"][0]
    assert client.get("/api/v1/events/?area=unknown").status_code == 400


def test_the_schema_says_reads_need_no_token_and_every_operation_may_be_refused(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = [
        (method, path, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]
    assert len(operations) > 10
    for method, path, operation in operations:
        security = operation["security"]
        if method == "get":
            assert {} in security, path  # generated clients ask for no token
        else:
            assert {} not in security and {"tokenAuth": []} in security, path
        assert {"429", "503"} <= set(operation["responses"]), (method, path)
    sync = next(
        p for p in schema["paths"]["/api/v1/events/"]["get"]["parameters"]
        if p["name"] == "updated_since"
    )  # fmt: skip
    assert "offset" in sync["description"]
    assert "sync loop" in schema["paths"]["/api/v1/events/"]["get"]["description"]


@pytest.mark.parametrize("path", ["/api/v1/occurrences/%C2%84/", "/api/v1/nothing/", "/api/x"])
def test_any_path_under_api_answers_json(client, settings, path):
    settings.DEBUG = False
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_a_body_the_api_cannot_read_is_refused_as_the_schema_says(client, token):
    """A Content-Type no parser takes (CSV; a fuzzer's unreadable one): 415, which every
    operation with a body documents."""
    response = authorised(token).generic(
        "POST", "/api/v1/events/", b"title,start", content_type="text/csv"
    )
    assert response.status_code == 415
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if "requestBody" in operation:
                assert "415" in operation["responses"], (method, path)
