"""The one question every door asks: which occurrences match these parameters?

The agenda page, the API, the iCal feed and the RSS feed all call
`AgendaFilter(request.GET, queryset=Occurrence.objects.public())`. The parameter names are
public and stable (DESIGN.md, "One filter, four doors"). A bad value never raises: the form
carries the error, the valid parameters still apply, and each door reports it its own way
(a message on the page, a 400 from the API and the feeds).
"""

from datetime import UTC, date, datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.translation import in_any_language
from diary.models import (
    RUN_LONGER_THAN,
    Category,
    Event,
    Language,
    Occurrence,
    Tag,
    validate_agenda_date,
)
from diary.text import searchable
from venues.models import Municipality, Venue


class WhenChoices:
    TODAY = "today"
    TOMORROW = "tomorrow"
    WEEKEND = "weekend"
    WEEK = "week"
    MONTH = "month"
    choices = [
        (TODAY, _("Today")),
        (TOMORROW, _("Tomorrow")),
        (WEEKEND, _("This weekend")),
        (WEEK, _("This week")),
        (MONTH, _("This month")),
    ]


class KindChoices:
    """Happenings and runs (diary.runs): a date with a time on its day, or one on for more
    than a day (`Occurrence.is_run`)."""

    HAPPENING = "happening"
    RUN = "run"
    choices = [
        (HAPPENING, _("Happenings (with a time on their day)")),
        (RUN, _("Runs (exhibitions, festivals: on for days)")),
    ]


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def when_window(preset: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The [start, end) window of a preset, in the city's time zone.

    Windows that include today start now, so what has already ended is not offered.
    """
    now = timezone.localtime(now or timezone.now())
    today = now.date()
    tomorrow = today + timedelta(days=1)
    if preset == WhenChoices.TODAY:
        return now, local_midnight(tomorrow)
    if preset == WhenChoices.TOMORROW:
        return local_midnight(tomorrow), local_midnight(tomorrow + timedelta(days=1))
    if preset == WhenChoices.WEEKEND:
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        if today.weekday() == 6:  # Sunday: the weekend is today
            saturday = today - timedelta(days=1)
        start = max(now, local_midnight(saturday))
        return start, local_midnight(saturday + timedelta(days=2))
    if preset == WhenChoices.WEEK:
        next_monday = today + timedelta(days=7 - today.weekday())
        return now, local_midnight(next_monday)
    if preset == WhenChoices.MONTH:
        first_of_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        return now, local_midnight(first_of_next)
    raise ValueError(preset)


class MomentField(forms.Field):
    """A date (2026-12-24) or a date and time (2026-12-24T19:00), read in the city's zone."""

    default_error_messages = {
        "invalid": _("Enter a date such as 2026-12-24 or a date and time such as 2026-12-24T19:00.")
    }

    def to_python(self, value) -> date | datetime | None:
        value = (value or "").strip()
        if not value:
            return None
        try:
            if len(value) == 10:
                moment = date.fromisoformat(value)
            else:
                moment = datetime.fromisoformat(value.replace(" ", "T").replace("Z", "+00:00"))
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        validate_agenda_date(moment)
        if type(moment) is date or timezone.is_aware(moment):
            return moment
        return timezone.make_aware(moment)


class TrueOnlyField(forms.Field):
    """`true` asks for the filter; `false` or nothing leaves it off; anything else is an error."""

    default_error_messages = {"invalid": _("Use true or false.")}
    TRUE = {"true", "1", "yes", "on"}
    FALSE = {"false", "0", "no", "off", ""}

    def to_python(self, value) -> bool:
        value = (value or "").strip().lower()
        if value in self.TRUE:
            return True
        if value in self.FALSE:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class MomentFilter(django_filters.Filter):
    field_class = MomentField


class TrueOnlyFilter(django_filters.Filter):
    field_class = TrueOnlyField

    def filter(self, qs, value):
        return qs.filter(**{self.field_name: True}) if value else qs


# Values one repeatable parameter (category, tag, venue, area, language) may take: no
# selection a person makes needs more, and each costs work (a typed venue name, a query).
MAX_VALUES = 50


class SlugsField(django_filters.fields.ModelMultipleChoiceField):
    """Slugs, counted before any is looked up."""

    def clean(self, value):
        if isinstance(value, list | tuple) and len(value) > MAX_VALUES:
            raise forms.ValidationError(
                _("Give at most %(count)s values."), code="too_many", params={"count": MAX_VALUES}
            )
        return super().clean(value)


class SlugsFilter(django_filters.ModelMultipleChoiceFilter):
    """A repeatable slug parameter; unknown slugs are an error that names them."""

    field_class = SlugsField

    def __init__(self, *args, to_field_name: str = "slug", **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, to_field_name=to_field_name, **kwargs)
        self.extra["error_messages"] = {
            "invalid_choice": _("“%(value)s” is not one of the choices."),
            "invalid_pk_value": _("“%(pk)s” is not one of the choices."),
        }


class NamedSlugsField(SlugsField):
    """Slugs, or names typed in full in any language ("Flagey", "flagey"): the agenda's
    venue field is a text box, which works without JavaScript too. A name costs a query;
    slugs cost what they always did."""

    def _check_values(self, value):
        try:
            return super()._check_values(value)
        except forms.ValidationError:
            slugs = [self.slug_of(str(typed)) for typed in value]
            if slugs == list(value):
                raise
            return super()._check_values(slugs)

    def slug_of(self, typed: str) -> str:
        named = self.queryset.filter(in_any_language("name", "iexact", typed.strip()))
        return named.values_list("slug", flat=True).first() or typed


class NamedSlugsFilter(SlugsFilter):
    field_class = NamedSlugsField


def happenings_after(moment: datetime) -> Q:
    """The happenings (not runs) among dates still on after `moment` (`still_on`): none
    began more than a day before it, so that a list of them reads a day of the start index,
    not the year that runs may last. (In elapsed time: a local moment less 25 hours on the
    clock would be 24 real hours back the day after the clocks go forward.)"""
    return Q(is_run=False, start__gte=moment.astimezone(UTC) - RUN_LONGER_THAN)


def event_has(relation: str, values) -> Exists:
    """Events linked to any of `values` through a many-to-many relation, without duplicates."""
    through = Event._meta.get_field(relation).remote_field.through
    target = Event._meta.get_field(relation).m2m_reverse_field_name()
    return Exists(
        through.objects.filter(event_id=OuterRef("event_id"), **{f"{target}__in": values})
    )


def present(data: QueryDict) -> QueryDict:
    """The parameters that have a value: an empty one (`tag=`, as a form's "any" option or a
    hand-written URL sends it) means the parameter is absent, on every door."""
    kept = QueryDict(mutable=True)
    pairs = data.lists() if hasattr(data, "lists") else ((k, [v]) for k, v in data.items())
    for name, values in pairs:
        values = [value for value in values if str(value).strip()]
        if values:
            kept.setlist(name, values)
    return kept


def selection(data: QueryDict, *drop: str) -> QueryDict:
    """A selection as links, subscriptions, letters and widgets carry it: the parameters
    that have a value, without `page` and without those named."""
    kept = present(data)
    for name in ("page", *drop):
        kept.pop(name, None)
    return kept


class AgendaFilter(django_filters.FilterSet):
    start = MomentFilter(method="filter_start", label=_("From"))
    end = MomentFilter(method="filter_end", label=_("Until"))
    when = django_filters.ChoiceFilter(
        choices=WhenChoices.choices, method="filter_when", label=_("When"), empty_label=None
    )
    category = SlugsFilter(
        field_name="event__category__slug", queryset=Category.objects.all(), label=_("Category")
    )
    tag = SlugsFilter(queryset=Tag.objects.all(), method="filter_tag", label=_("Tag"))
    venue = NamedSlugsFilter(
        field_name="event__venue__slug", queryset=Venue.objects.all(), label=_("Venue")
    )
    area = SlugsFilter(
        field_name="event__venue__municipality__slug",
        queryset=Municipality.objects.all(),
        label=_("Area"),
    )
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    free = TrueOnlyFilter(field_name="event__is_free", label=_("Free"))
    language = SlugsFilter(
        queryset=Language.objects.all(),
        to_field_name="code",
        method="filter_language",
        label=_("Language"),
    )
    accessible = TrueOnlyFilter(
        field_name="event__venue__step_free_access", label=_("Step-free access")
    )
    family = TrueOnlyFilter(field_name="event__family_friendly", label=_("Family-friendly"))
    pick = TrueOnlyFilter(field_name="event__is_pick", label=_("Editors' picks"))
    kind = django_filters.ChoiceFilter(
        choices=KindChoices.choices, method="filter_kind", label=_("Kind"), empty_label=None
    )

    class Meta:
        model = Occurrence
        fields: list[str] = []

    def __init__(self, data=None, *args, now: datetime | None = None, **kwargs):
        super().__init__(None if data is None else present(data), *args, **kwargs)
        self.now = now or timezone.now()

    def get_form_class(self):
        # The same fields for every selection (their labels translated as they render):
        # made once, not on every request; each form copies them, as any Django form does.
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            cls._form_class = super().get_form_class()
        return cls._form_class

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self._window_start() is None:
            queryset = queryset.upcoming(self.now)  # by default: from now
        return queryset

    def filter_start(self, queryset, name, value):
        return queryset.still_on(self.opens)

    def filter_end(self, queryset, name, value):
        # A date includes that whole day.
        end = local_midnight(value + timedelta(days=1)) if type(value) is date else value
        return queryset.filter(start__lt=end)

    def filter_when(self, queryset, name, value):
        if self.dates_chosen:
            return queryset  # dates typed after choosing a preset say what the person wants
        return queryset.still_on(self.opens).filter(start__lt=when_window(value, self.now)[1])

    def filter_kind(self, queryset, name, value):
        if value == KindChoices.HAPPENING:
            return queryset.filter(happenings_after(self.opens))
        return queryset.filter(is_run=True)

    @property
    def opens(self) -> datetime:
        """When the selection's window opens: what it lists is still on after this."""
        return self._window_start() or self.now

    def _window_start(self) -> datetime | None:
        """Where the window asked for opens (a start, or a preset no typed date overrides);
        None when nothing is asked: from now."""
        data = getattr(self.form, "cleaned_data", {})
        start = data.get("start")
        if start:
            return local_midnight(start) if type(start) is date else start
        if data.get("when") and not self.dates_chosen:
            return when_window(data["when"], self.now)[0]
        return None

    @property
    def kind_chosen(self) -> bool:
        """Whether the selection names a `kind`: then a list shows exactly that (diary.runs)."""
        return bool(getattr(self.form, "cleaned_data", {}).get("kind"))

    @property
    def window_chosen(self) -> bool:
        """Whether the selection asks for a time (a preset or dates): then a list shows what
        happens in it before anything else."""
        return self.dates_chosen or bool(getattr(self.form, "cleaned_data", {}).get("when"))

    @property
    def dates_chosen(self) -> bool:
        data = getattr(self.form, "cleaned_data", {})
        return bool(data.get("start") or data.get("end"))

    def first_day(self) -> date:
        """The first day of the window asked for, in the city's zone: what is already on
        when it opens is listed under it (not under today, nor under the day it began)."""
        opens = timezone.localdate(self.opens)
        if getattr(self.form, "cleaned_data", {}).get("start"):
            return opens  # a day of the archive too
        return max(opens, timezone.localdate(self.now))

    def filter_tag(self, queryset, name, value):
        return queryset.filter(event_has("tags", value)) if value else queryset

    def filter_language(self, queryset, name, value):
        return queryset.filter(event_has("languages", value)) if value else queryset

    def filter_q(self, queryset, name, value):
        # Title, summary, venue and category names (Event.search_text, folded the same way:
        # no accents, no case), each word somewhere in them.
        for word in searchable(value).split()[:10]:
            queryset = queryset.filter(event__search_text__icontains=word)
        return queryset

    @property
    def error_messages(self) -> list[str]:
        """One readable sentence per bad parameter, naming it as the URL does (feeds)."""
        messages = []
        for name, errors in self.form.errors.items():
            for error in errors:
                messages.append(f"{name}: {error}")
        return messages

    @property
    def labelled_errors(self) -> list[str]:
        """One sentence per bad parameter, naming it as the page's form does, in the page's
        language ("Lieu : « Flag » ne fait pas partie des choix.")."""
        return [
            _("%(parameter)s: %(error)s")
            % {"parameter": self.form.fields[name].label if name in self.form.fields else name,
               "error": error}
            for name, errors in self.form.errors.items()
            for error in errors
        ]  # fmt: skip


KINDS_DESCRIBED = {KindChoices.HAPPENING: _("happenings"), KindChoices.RUN: _("runs")}


def describe(agenda: AgendaFilter) -> str:
    """The selection in words, for the calendar's name: "Music, Theatre · Flagey · free"."""
    data = agenda.form.cleaned_data
    parts = [
        ", ".join(str(item) for item in data[name])
        for name in ("category", "tag", "venue", "area", "language")
        if data.get(name)
    ]
    if data.get("when"):
        parts.append(str(dict(WhenChoices.choices)[data["when"]]).lower())
    if data.get("kind"):
        parts.append(str(KINDS_DESCRIBED[data["kind"]]))
    parts += [
        str(label)
        for name, label in (
            ("free", _("free")),
            ("family", _("family-friendly")),
            ("accessible", _("step-free")),
        )
        if data.get(name)
    ]
    if data.get("q"):
        parts.append(_("“%(words)s”") % {"words": data["q"]})
    return " · ".join(parts)
