"""Importing the magazine's stories: RSS 2.0 and Atom (feedparser), or a WordPress REST
`wp/v2/posts` page (with `_embed`: author, featured image, categories and tags).

Stories are upserted by their canonical URL; an unchanged story is not saved again, so a
second import changes nothing. A malformed item is reported and skipped.
"""

import html
import json
from dataclasses import dataclass, field
from datetime import date, datetime

import feedparser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.html import strip_tags
from django.utils.text import slugify

from diary import catalogue, journal
from diary.models import SECTION_OF, Article, Tag
from diary.text import one_line


@dataclass
class ArticleReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.errors)} with errors"
        )


class ItemError(ValueError):
    """One story that cannot be imported; the message says why."""


def plain(text: str) -> str:
    """HTML (as feeds and WordPress give it) as one line of plain text."""
    return " ".join(html.unescape(strip_tags(text or "")).split())


def _url(value: str) -> str:
    value = (value or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise ItemError(f"no valid link ({value!r})") from None
    return value


WORDS_A_MINUTE = 200


def reading_minutes(html_text: str) -> int | None:
    """How long a story takes to read, from its whole text (None without one)."""
    words = len(plain(html_text).split())
    return max(1, -(-words // WORDS_A_MINUTE)) if words else None


def section_of(categories: list[str]) -> str:
    """The magazine's section of a story filed under these categories ("" for none)."""
    for name in categories:
        section = SECTION_OF.get(name.strip().casefold())
        if section:
            return section
    return ""


def _from_feed_entry(entry) -> dict:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        raise ItemError("no publication date")
    image = ""
    for media in entry.get("media_content", []) + entry.get("media_thumbnail", []):
        image = media.get("url", "")
        break
    # A feed's <category> names both: "Smart City" is a tag and files the story under
    # Urban Life.
    categories = [(tag.get("term") or "").strip() for tag in entry.get("tags", [])]
    for link in entry.get("links", []):
        if not image and link.get("rel") == "enclosure" and "image" in link.get("type", ""):
            image = link.get("href", "")
    return {
        "url": _url(entry.get("link", "")),
        "title": plain(entry.get("title", "")),
        "excerpt": plain(entry.get("summary", "")),
        "author": plain(entry.get("author", "")),
        "published_on": date(*parsed[:3]),
        "image_url": image,
        "section": section_of(categories),
        "reading_minutes": reading_minutes(
            next((part.get("value", "") for part in entry.get("content", [])), "")
        ),
        "tags": categories,
    }


def _from_wordpress(post: dict) -> dict:
    if not isinstance(post, dict):
        raise ItemError("not a post object")
    embedded = post.get("_embedded") or {}
    try:
        published = datetime.fromisoformat(str(post.get("date", ""))).date()
    except ValueError:
        raise ItemError(f"no valid date ({post.get('date')!r})") from None
    authors = embedded.get("author") or [{}]
    media = embedded.get("wp:featuredmedia") or [{}]
    terms = [term for group in embedded.get("wp:term") or [] for term in group or []]
    return {
        "url": _url(post.get("link", "")),
        "title": plain((post.get("title") or {}).get("rendered", "")),
        "excerpt": plain((post.get("excerpt") or {}).get("rendered", "")),
        "author": plain(authors[0].get("name", "")),
        "published_on": published,
        "image_url": (media[0] or {}).get("source_url", "") or "",
        "section": section_of(
            [term.get("name", "") for term in terms if term.get("taxonomy") == "category"]
        ),
        "reading_minutes": reading_minutes((post.get("content") or {}).get("rendered", "")),
        "tags": [term.get("name", "") for term in terms if term.get("taxonomy") == "post_tag"],
    }


def read_items(data: bytes) -> tuple[list, list[str]]:
    """(items as field dicts or ItemError, file-level errors)."""
    text = data.lstrip()
    if text[:1] in (b"[", b"{"):
        try:
            posts = json.loads(data)
        except ValueError as error:
            return [], [f"The file is not valid JSON: {error}"]
        if isinstance(posts, dict):
            posts = [posts]
        return [
            (f"post {n}", _safely(_from_wordpress, post)) for n, post in enumerate(posts, 1)
        ], []
    feed = feedparser.parse(data)
    if not feed.entries:
        reason = feed.get("bozo_exception") or "no items"
        return [], [f"The file is not an RSS or Atom feed: {reason}"]
    return [
        (f"item {n}", _safely(_from_feed_entry, entry)) for n, entry in enumerate(feed.entries, 1)
    ], []


def _safely(parse, item):
    try:
        fields = parse(item)
    except ItemError as error:
        return error
    except (AttributeError, KeyError, TypeError) as error:
        return ItemError(f"unexpected shape: {error}")
    if not fields["title"]:
        return ItemError("no title")
    return fields


def _tags(names: list[str]) -> list[Tag]:
    tags = []
    for name in map(one_line, names):  # a feed's term may carry line breaks: not a tag's name
        slug = slugify(name)[:100]
        if slug:
            tag, _ = catalogue.shown_get_or_create(Tag, slug=slug, defaults={"name": name[:100]})
            tags.append(tag)
    return tags


@transaction.atomic
def article_upsert(fields: dict) -> str:
    """Create or update one story by URL: "created", "updated" or "unchanged"."""
    fields = dict(fields)
    tags = _tags(fields.pop("tags"))
    article = Article.objects.filter(url=fields["url"]).first()
    if article is None:
        article = Article(**fields)
        article.full_clean()
        catalogue.article_save(article=article, tags=tags)
        return "created"
    changed = any(getattr(article, name) != value for name, value in fields.items())
    tags_changed = {tag.pk for tag in tags} != set(article.tags.values_list("pk", flat=True))
    if not changed and not tags_changed:
        return "unchanged"
    for name, value in fields.items():
        setattr(article, name, value)
    article.full_clean()
    catalogue.article_save(article=article, tags=tags)
    return "updated"


@journal.door("import")
def articles_import(data: bytes) -> ArticleReport:
    report = ArticleReport()
    items, errors = read_items(data)
    report.errors.extend(errors)
    for label, item in items:
        if isinstance(item, ItemError):
            report.errors.append(f"{label}: {item}")
            continue
        try:
            outcome = article_upsert(item)
        except ValidationError as error:
            report.errors.append(f"{label} ({item['url']}): {'; '.join(error.messages)}")
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report
