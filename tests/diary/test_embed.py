"""The agenda on partner sites: /embed/ may be framed anywhere, nothing else may; its look
takes validated values only; it sets no cookie; the builder hands out the snippet."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CategoryFactory, EventFactory, VenueFactory

pytestmark = pytest.mark.django_db


def csp(response) -> dict[str, str]:
    directives = (
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    return dict(directives)


def test_the_embed_is_framable_from_anywhere_and_nothing_else_is(client):
    EventFactory()
    for _ in range(2):  # fresh, then replayed from the response cache
        embedded = client.get("/embed/")
        assert embedded.status_code == 200
        assert "X-Frame-Options" not in embedded
        assert csp(embedded)["frame-ancestors"] == "*"
    for path in ("/", "/fr/", "/venues/", "/submit/", "/subscribe/", "/embed/builder/", "/api/v1/"):
        response = client.get(path)
        assert response["X-Frame-Options"] == "DENY", path
        assert csp(response)["frame-ancestors"] == "'none'", path


def test_the_embed_answers_the_agendas_query_and_opens_events_in_a_new_tab(client):
    music = CategoryFactory(slug="music", name="Music")
    flagey = VenueFactory(slug="flagey", name="Flagey")
    gig = EventFactory(title="Jazz at Flagey", category=music, venue=flagey)
    EventFactory(title="Elsewhere", category=music)
    html = client.get("/embed/?venue=flagey").content.decode()
    assert "Jazz at Flagey" in html and "Elsewhere" not in html
    assert (
        f'href="http://testserver{gig.get_absolute_url()}" target="_blank" rel="noopener"' in html
    )
    assert "site-header" not in html and "site-footer" not in html


def test_the_embed_sets_no_cookie_and_speaks_the_language_asked(client):
    EventFactory(title="Concert", title_fr="Concert en français")
    response = client.get("/embed/?lang=fr", headers={"Accept-Language": "nl"})
    assert response.cookies == {}
    html = response.content.decode()
    assert '<html lang="fr"' in html and "Concert en français" in html
    assert client.get("/embed/?lang=xx").status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        "accent=red;}body{display:none",
        "accent=%3C/style%3E%3Cscript%3Ealert(1)%3C/script%3E",
        "accent=abc",
        "accent=ff00ff00",
        "theme=%22%3E%3Cscript%3E",
        "layout=</style>",
        "limit=1000000",
        "limit=-1",
    ],
)
def test_the_theme_parameters_cannot_inject_css_or_script(client, query):
    EventFactory()
    response = client.get(f"/embed/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<style>:root { --accent: #b00d26; }</style>" in html
    assert 'class="theme-light layout-list"' in html
    assert "<script>" not in html and "alert" not in html and "display:none" not in html


def test_valid_theme_parameters_apply(client):
    EventFactory.create_batch(3)
    html = client.get("/embed/?accent=0B4F9C&theme=dark&layout=compact&limit=2").content.decode()
    assert "--accent: #0b4f9c;" in html
    assert 'class="theme-dark layout-compact"' in html
    assert html.count("<li ") == 2


def test_a_bad_filter_in_the_embed_is_said_without_an_error(client):
    response = client.get("/embed/?category=nope")
    assert response.status_code == 200
    assert "Some filters could not be used" in response.content.decode()


def test_the_embed_runs_a_constant_number_of_queries(client, django_assert_max_num_queries):
    EventFactory.create_batch(3)
    client.get("/embed/")
    EventFactory.create_batch(30)
    from django.core.cache import cache

    cache.clear()
    with django_assert_max_num_queries(5):
        assert client.get("/embed/?limit=50").status_code == 200


def test_the_builder_gives_the_snippet_for_the_selection_and_look(client, settings):
    CategoryFactory(slug="music", name="Music")
    VenueFactory(slug="flagey", name="Flagey")
    response = client.get(
        reverse("diary:embed-builder"),
        {
            "category": "music",
            "venue": "flagey",
            "accent": "#0b4f9c",
            "theme": "dark",
            "lang": "fr",
        },
    )
    html = response.content.decode()
    assert (
        f"&lt;script src=&quot;{settings.SITE_URL}/static/embed.js&quot; "
        "data-query=&quot;category=music&amp;amp;venue=flagey&quot; data-accent=&quot;0b4f9c&quot; "
        "data-theme=&quot;dark&quot; "
        "data-lang=&quot;fr&quot; async&gt;&lt;/script&gt;"
    ) in html
    assert "data-accent=&quot;0b4f9c&quot;" in html  # a colour input's "#" is dropped
    assert (
        'id="embed-preview" src="/embed/?category=music&amp;venue=flagey&amp;accent=0b4f9c' in html
    )


def test_the_builders_snippet_cannot_carry_markup(client):
    response = client.get(reverse("diary:embed-builder"), {"q": '"><script>alert(1)</script>'})
    assert "<script>alert" not in response.content.decode()


def test_the_embed_lists_happenings_and_counts_the_runs_on_with_a_link(client):
    soon = timezone.now() + timedelta(days=1)
    EventFactory(title="Concert", start=soon, end=soon + timedelta(hours=2))
    EventFactory(title="Exhibition", start=soon, end=soon + timedelta(days=20))
    html = client.get("/embed/?layout=compact").content.decode()
    assert "Concert" in html and "Exhibition" not in html
    assert "Also on: 1 exhibition, festival or other run" in html
    assert 'href="http://testserver/?layout=compact&amp;kind=run"' not in html  # no look
    assert 'href="http://testserver/?kind=run"' in html
    runs_only = client.get("/embed/?kind=run").content.decode()
    assert "Exhibition" in runs_only and "Concert" not in runs_only
