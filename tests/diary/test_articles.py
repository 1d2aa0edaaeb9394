"""import_articles with an RSS feed, an Atom feed and a WordPress page, served from 127.0.0.1."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from diary.models import Article, Tag
from tests.factories import ArticleFactory, EventFactory, TagFactory
from tests.feeds.test_importers import served  # noqa: F401  (the 127.0.0.1 file server)

pytestmark = pytest.mark.django_db

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>WeLoveBrussels</title><link>https://magazine.example/</link>
<item>
  <title>Smart City – branding and the need for citizen engagement</title>
  <link>https://magazine.example/smart-city-branding/</link>
  <dc:creator>Editorial Team</dc:creator>
  <pubDate>Wed, 04 May 2016 10:00:00 +0000</pubDate>
  <category>smart city</category><category>city branding</category>
  <description><![CDATA[<p>WeLoveBrussels participated at the first
    <b>Brussels Smart City</b> event&#8230;</p><script>alert(1)</script>]]></description>
  <media:content url="https://magazine.example/img/smart.jpg" medium="image"/>
</item>
<item>
  <title>Copenhagen and Brussels strengthen ties</title>
  <link>https://magazine.example/copenhagen-brussels/</link>
  <pubDate>Mon, 21 Nov 2022 09:00:00 +0000</pubDate>
  <category>city branding</category>
  <description>Ties.</description>
</item>
</channel></rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Urban Jungle</title><id>urn:magazine</id><updated>2026-10-01T00:00:00Z</updated>
  <entry>
    <title>Green roofs of Schaerbeek</title>
    <link rel="alternate" href="https://magazine.example/green-roofs/"/>
    <id>urn:green-roofs</id>
    <published>2026-09-15T08:00:00Z</published><updated>2026-09-15T08:00:00Z</updated>
    <author><name>Meredith</name></author>
    <category term="Urban Jungle"/>
    <summary type="html">&lt;p&gt;Up on the roofs.&lt;/p&gt;</summary>
  </entry>
</feed>
"""

WORDPRESS = [
    {
        "id": 101,
        "date": "2022-12-06T10:00:00",
        "link": "https://magazine.example/japan-mission/",
        "title": {"rendered": "Belgian economic mission to Japan with large Brussels delegation"},
        "excerpt": {"rendered": "<p>A mission &amp; a delegation.</p>\n"},
        "_embedded": {
            "author": [{"name": "Editorial Team"}],
            "wp:featuredmedia": [{"source_url": "https://magazine.example/img/japan.jpg"}],
            "wp:term": [
                [{"taxonomy": "category", "name": "Europolitan Trends", "slug": "europolitan"}],
                [
                    {"taxonomy": "post_tag", "name": "city branding", "slug": "city-branding"},
                    {"taxonomy": "post_tag", "name": "New Economy", "slug": "new-economy"},
                ],
            ],
        },
    },
]

MALFORMED_RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>
<item><title>No link</title><pubDate>Wed, 04 May 2016 10:00:00 +0000</pubDate></item>
<item><title>No date</title><link>https://magazine.example/no-date/</link></item>
<item><title>Fine</title><link>https://magazine.example/fine/</link>
  <pubDate>Wed, 04 May 2016 10:00:00 +0000</pubDate></item>
</channel></rss>
"""


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_articles", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_an_rss_feed(served):  # noqa: F811
    out, err = run(served("rss.xml", RSS))
    assert "2 created, 0 updated, 0 unchanged, 0 with errors" in out
    assert err == ""
    article = Article.objects.get(url="https://magazine.example/smart-city-branding/")
    assert article.title == "Smart City – branding and the need for citizen engagement"
    assert article.published_on == date(2016, 5, 4)
    assert article.author == "Editorial Team"
    assert article.excerpt == "WeLoveBrussels participated at the first Brussels Smart City event…"
    assert article.image_url == "https://magazine.example/img/smart.jpg"
    assert set(article.tags.values_list("slug", flat=True)) == {"smart-city", "city-branding"}


def test_an_atom_feed(served):  # noqa: F811
    run(served("atom.xml", ATOM))
    article = Article.objects.get()
    assert (article.title, article.author, article.excerpt) == (
        "Green roofs of Schaerbeek",
        "Meredith",
        "Up on the roofs.",
    )
    assert list(article.tags.values_list("slug", flat=True)) == ["urban-jungle"]


def test_a_wordpress_posts_page_with_embed(served):  # noqa: F811
    Tag.objects.create(slug="city-branding", name="city branding")
    run(served("posts.json", json.dumps(WORDPRESS)))
    article = Article.objects.get()
    assert article.url == "https://magazine.example/japan-mission/"
    assert article.excerpt == "A mission & a delegation."
    assert article.author == "Editorial Team"
    assert article.image_url == "https://magazine.example/img/japan.jpg"
    assert set(article.tags.values_list("slug", flat=True)) == {"city-branding", "new-economy"}
    assert Tag.objects.filter(slug="city-branding").count() == 1


def test_importing_again_changes_nothing(served):  # noqa: F811
    url = served("rss.xml", RSS)
    run(url)
    before = list(Article.objects.order_by("pk").values())
    out, _ = run(url)
    assert "0 created, 0 updated, 2 unchanged" in out
    assert list(Article.objects.order_by("pk").values()) == before


def test_a_changed_story_is_updated_by_its_url(served):  # noqa: F811
    run(served("rss.xml", RSS))
    out, _ = run(served("rss.xml", RSS.replace("Ties.", "Stronger ties.")))
    assert "0 created, 1 updated, 1 unchanged" in out
    assert Article.objects.get(url="https://magazine.example/copenhagen-brussels/").excerpt == (
        "Stronger ties."
    )


def test_malformed_items_are_reported_and_the_rest_imported(served):  # noqa: F811
    out, err = run(served("bad.xml", MALFORMED_RSS))
    assert "item 1: no valid link" in err
    assert "item 2: no publication date" in err
    assert "1 created, 0 updated, 0 unchanged, 2 with errors" in out
    assert list(Article.objects.values_list("title", flat=True)) == ["Fine"]


@pytest.mark.parametrize("content", ["<html>Not found</html>", "[{]", '[{"date": "never"}]'])
def test_files_that_are_not_feeds_import_nothing_and_say_why(served, content):  # noqa: F811
    out, err = run(served("junk", content))
    assert err
    assert "0 created" in out
    assert not Article.objects.exists()


def test_an_unreachable_source_is_a_clear_error():
    with pytest.raises(CommandError, match="Could not read"):
        run("http://127.0.0.1:9/posts.json")


# Sections and reading times

LONG_RSS = (
    RSS.replace(
        "<category>smart city</category>",
        "<category>smart city</category><category>Foodie guide</category>",
    )
    .replace(
        '<media:content url="https://magazine.example/img/smart.jpg" medium="image"/>',
        '<media:content url="https://magazine.example/img/smart.jpg" medium="image"/>'
        "<content:encoded><![CDATA[<p>" + "word " * 450 + "</p>]]></content:encoded>",
    )
    .replace(
        '<rss version="2.0"',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"',
    )
)


def test_a_story_is_filed_under_its_section_and_timed_from_its_text(served):  # noqa: F811
    run(served("rss.xml", LONG_RSS))
    article = Article.objects.get(url="https://magazine.example/smart-city-branding/")
    # "smart city" and "Foodie guide" are both in the menu: the first one decides.
    assert article.section == Article.Section.URBAN_LIFE
    assert article.reading_minutes == 3  # 450 words at 200 a minute
    assert "foodie-guide" in article.tags.values_list("slug", flat=True)  # still a tag
    short = Article.objects.get(url="https://magazine.example/copenhagen-brussels/")
    # Filed under "city branding" (Urban Life), and without its text: no reading time.
    assert (short.section, short.reading_minutes) == (Article.Section.URBAN_LIFE, None)


def test_a_story_filed_under_nothing_the_menu_names_has_no_section():
    from diary.articles import section_of

    assert section_of(["Jazz", "Concerts"]) == ""
    assert section_of(["jazz", "FOODIE GUIDE"]) == Article.Section.DISCOVER


def test_a_wordpress_post_is_filed_under_its_category(served):  # noqa: F811
    post = {**WORDPRESS[0], "content": {"rendered": "<p>" + "mot " * 201 + "</p>"}}
    run(served("posts.json", json.dumps([post])))
    article = Article.objects.get()
    assert article.section == Article.Section.EUROPOLITAN
    assert article.reading_minutes == 2


def test_a_story_card_says_its_section_and_reading_time(client):

    smart = TagFactory(slug="smart-city", name="smart city")
    ArticleFactory(title="Smart City", section="urban-life", reading_minutes=3).tags.add(smart)
    EventFactory(tags=[smart])
    html = client.get("/tags/smart-city/").content.decode()
    assert '<span class="story-section">Urban Life</span>' in html
    assert "· 3 minute read</span>" in html
    html_fr = client.get("/fr/tags/smart-city/").content.decode()
    assert '<span class="story-section">Vie urbaine</span>' in html_fr
    assert "3 minutes de lecture" in html_fr
