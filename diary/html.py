"""Sanitising the HTML that organisers and imported feeds give us."""

import re

import nh3
from django.utils.html import linebreaks, urlize

MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z]")

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "cite",
    "code",
    "em",
    "h2",
    "h3",
    "h4",
    "i",
    "li",
    "ol",
    "p",
    "q",
    "s",
    "small",
    "strong",
    "sub",
    "sup",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}


def sanitise_html(value: str) -> str:
    """Only harmless markup survives; links get rel="noopener noreferrer nofollow"."""
    if not value:
        return ""
    return nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def typed_text_to_html(value: str) -> str:
    """What a person types in the description box, as HTML: plain text keeps its paragraphs
    (blank lines) and line breaks, and its web addresses become links; text that already holds
    markup is kept as markup. Either way, only what `sanitise_html` allows survives."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not value or MARKUP.search(value):
        return sanitise_html(value)
    return sanitise_html(linebreaks(urlize(value, nofollow=True, autoescape=True)))
