"""Content in the site's languages: a column per language (django-translated-fields).

`title = Translated(models.CharField(...))` makes the columns `title_en`, `title_fr` and
`title_nl`, and an attribute `title` that reads the text to show now: the active language's,
else the one the texts were written in (an event's `text_language`), else English, else
whichever exists. Every row keeps one table: filters, indexes and query counts stay as they
were. Writing `title` writes the active language's column.

`in_language(name)` is the same choice as a database expression (lists of names ordered in
the page's language); `shown_language(obj, name)` says which language a text came from, so
that a page can say "in French" when it shows a fallback.
"""

import functools

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from translated_fields import TranslatedField, to_attribute

CODES = tuple(code for code, _name in settings.LANGUAGES)
# "in French": what a page says beside a text it shows in another language than its own.
IN_LANGUAGE = {"en": _("in English"), "fr": _("in French"), "nl": _("in Dutch")}


def active_language() -> str:
    language = translation.get_language()
    return language if language in CODES else settings.LANGUAGE_CODE


def fallbacks(own: str | None = None, first: str | None = None) -> tuple[str, ...]:
    """The languages to try, in order: `first` (default: the active one), the texts' own,
    the site's, the others."""
    return _fallbacks(first or active_language(), own)


@functools.cache
def _fallbacks(first: str, own: str | None) -> tuple[str, ...]:
    order = (first, own, settings.LANGUAGE_CODE, *CODES)
    return tuple(dict.fromkeys(code for code in order if code in CODES))


@functools.cache
def _column(name: str, code: str) -> str:
    return to_attribute(name, code)


def translated(obj, name: str, language: str | None = None) -> tuple[str, str]:
    """The text of `name` to show in `language` (default: the active one), and the language
    it is in ("" when there is none in any language)."""
    for code in fallbacks(getattr(obj, "text_language", None), language):
        value = getattr(obj, _column(name, code))
        if value:
            return value, code
    return "", ""


def shown_language(obj, name: str) -> str:
    return translated(obj, name)[1]


def translations(obj, names: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Every language's texts of `names`, those that exist: {"fr": {"title": …}, …}."""
    result = {}
    for code in CODES:
        texts = {name: getattr(obj, _column(name, code)) for name in names}
        if any(texts.values()):
            result[code] = texts
    return result


def columns(*names: str) -> list[str]:
    """The columns of translated `names` (title → title_en, title_fr, title_nl)."""
    return [to_attribute(name, code) for name in names for code in CODES]


def in_any_language(name: str, lookup: str, value) -> Q:
    """`name` matching `value` by `lookup` in any language: `in_any_language("name",
    "icontains", "fla")` is name_en__icontains="fla" | name_fr__… | name_nl__…."""
    matches = Q()
    for column in columns(name):
        matches |= Q(**{f"{column}__{lookup}": value})
    return matches


def in_language(name: str, prefix: str = ""):
    """The text of `name` in the active language, with the fallbacks, in SQL (for objects
    without a language of their own: names of venues, areas, categories and tags)."""
    return Coalesce(
        *(NullIf(F(prefix + to_attribute(name, code)), Value("")) for code in fallbacks()),
        Value(""),
    )


class TranslatedAttribute(property):
    """The attribute in place of the columns: a property, so that `Model(title=…)` and
    factories set it like a field."""

    def __init__(self, name: str, fields: list[str], verbose_name=None):
        def fget(obj):
            return translated(obj, name)[0]

        # The admin's column header, in the editor's language (not the attribute's name).
        fget.short_description = verbose_name or name

        def fset(obj, value):
            setattr(obj, to_attribute(name, active_language()), value)

        super().__init__(fget, fset, doc=f"{name} in the active language, or a fallback")
        self.name = name
        self.fields = fields


class Translated(TranslatedField):
    """A column per language (settings.LANGUAGES); none is required at the database (an
    event's texts are required in its own language: its clean())."""

    def __init__(self, field, specific=None, **kwargs):
        specific = {code: {"blank": True, **(specific or {}).get(code, {})} for code in CODES}
        super().__init__(field, specific, **kwargs)

    def contribute_to_class(self, cls, name):
        super().contribute_to_class(cls, name)
        setattr(cls, name, TranslatedAttribute(name, self.fields, self._field.verbose_name))


class NamedInLanguages(models.Model):
    """A `name` in each language, one of them at least."""

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if not translated(self, "name")[0]:
            raise ValidationError(
                {
                    to_attribute("name", settings.LANGUAGE_CODE): _(
                        "Give a name in at least one language."
                    )
                }
            )


def named(queryset, key: str = "slug") -> list[tuple[str, str]]:
    """(key, name) pairs with the name in the active language, in that name's order: what
    a filter's choices show. Chosen in Python: plain rows, a query as cheap as before."""
    order = [CODES.index(code) for code in fallbacks()]
    rows = queryset.order_by().values_list(key, *columns("name"))
    pairs = [
        (row[0], next((row[1 + index] for index in order if row[1 + index]), "")) for row in rows
    ]
    pairs.sort(key=lambda pair: (pair[1].casefold(), pair[0]))
    return pairs
