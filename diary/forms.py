import calendar
from datetime import date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db import models
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.translation import CODES, active_language, columns
from diary import recurrence
from diary.html import typed_text_to_html
from diary.models import Event, available_timezones, too_many, validate_agenda_date
from diary.text import validate_one_line


class DateTimeLocalInput(forms.DateTimeInput):
    """`<input type="datetime-local">`: its value is in the one format HTML allows, whatever
    the language of the page (a French "02/01/2027 10:00:00" is dropped by the browser)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class HTMLDateInput(forms.DateInput):
    """`<input type="date">`, valued as HTML requires (ISO) in every language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


# Whose date formats a language's pages read: Django's English ones are American (month
# first); a day typed "17/02/2027" on the English page of a European city is day first.
DATE_FORMATS_OF = {"en": "en-gb"}


def iso_typed(value: str) -> str:
    """A date or a local date and time as the page's language writes it ("17/02/2027",
    "17.02.2027 21:00", Django's input formats for it) in ISO ("2027-02-17",
    "2027-02-17T21:00"); ISO, or anything unreadable, as it was typed (its error says so)."""
    try:
        (date if len(value) == 10 else datetime).fromisoformat(value)
        return value
    except ValueError:
        pass
    language = translation.get_language() or settings.LANGUAGE_CODE
    source = DATE_FORMATS_OF.get(language, language)
    for name, shown in (("DATE_INPUT_FORMATS", "%Y-%m-%d"), ("DATETIME_INPUT_FORMATS", None)):
        for pattern in formats.get_format(name, lang=source, use_l10n=True):
            try:
                moment = datetime.strptime(value, pattern)
            except ValueError:
                continue
            return moment.strftime(
                shown or ("%Y-%m-%dT%H:%M" if not moment.second else "%Y-%m-%dT%H:%M:%S")
            )
    return value


class DateListField(forms.CharField):
    """A list of dates or local date-times, typed one per line."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "2026-12-24\n2026-12-31T21:00"})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value) -> list[str]:
        if isinstance(value, list):
            return value
        lines = [line.strip() for line in (value or "").replace(",", "\n").splitlines()]
        values = [iso_typed(line) for line in lines if line]
        try:
            recurrence.parse_date_list(values, tz=ZoneInfo("UTC"))
        except recurrence.RecurrenceError as error:
            raise forms.ValidationError(str(error), code="invalid_date") from None
        return values


class BoundedChoices(forms.ModelMultipleChoiceField):
    """Tags or languages, counted (`models.too_many`) before they are looked up."""

    def __init__(self, *args, bound: str, **kwargs):
        self.bound = bound
        super().__init__(*args, **kwargs)

    def clean(self, value):
        if isinstance(value, list | tuple) and (message := too_many(self.bound, value)):
            raise forms.ValidationError(message, code="too_many")
        return super().clean(value)


def https_formfield(db_field, **kwargs):
    """Model form fields where a typed address without a scheme is read as https://."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class EventDatesForm(forms.ModelForm):
    """The date part of every event form (admin now, the organisers' form later).

    Times are typed and shown as wall-clock time in the event's own time zone, whatever the
    site's. For all-day events people type the *last* day; we store the iCalendar way, with
    `end` at midnight after it, and show it back the way it was typed.
    """

    rdates = DateListField(label=_("Extra dates"), required=False)
    exdates = DateListField(label=_("Skipped dates"), required=False)

    class Meta:
        model = Event
        # The admin and the organisers' form add the rest of the event's fields.
        fields = ("timezone", "start", "end", "all_day", "rrule", "rdates", "exdates")
        formfield_callback = https_formfield
        help_texts = {
            "start": _("In the event's time zone."),
            "end": _("In the event's time zone. For all-day events, the last day."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        if not instance.pk or instance.timezone not in available_timezones():
            return
        shown_in = timezone.get_current_timezone()
        for name in ("start", "end"):
            value = getattr(instance, name)
            if value is None or name not in self.fields:
                continue
            if name == "end" and instance.all_day:
                value -= timedelta(days=1)
            # The widget renders in the current zone: hand it the event's wall-clock time.
            self.initial[name] = recurrence.to_local(value, instance.tzinfo).replace(
                tzinfo=shown_in
            )

    def clean(self):
        cleaned = super().clean()
        for name in ("start", "end"):
            # Checked before any zone is applied: year 1 or 9999 would overflow there.
            if cleaned.get(name) is not None:
                try:
                    validate_agenda_date(cleaned[name])
                except forms.ValidationError as error:
                    self.add_error(name, error)
        tz_name = cleaned.get("timezone") or self.instance.timezone
        if tz_name not in available_timezones():
            return cleaned
        tz, typed_in = ZoneInfo(tz_name), timezone.get_current_timezone()
        for name in ("start", "end"):
            if cleaned.get(name):
                cleaned[name] = recurrence.to_aware(
                    recurrence.to_local(cleaned[name], typed_in), tz
                )
        start, end = cleaned.get("start"), cleaned.get("end")
        if cleaned.get("all_day") and start:
            # The last day typed ends at the midnight after it.
            cleaned["start"] = recurrence.midnight_of(start, tz)
            cleaned["end"] = recurrence.midnight_of(end, tz, days=1) if end else None
            if cleaned["end"] is not None and cleaned["end"] <= cleaned["start"]:
                self.add_error("end", _("The last day cannot be before the first."))
        return cleaned


WEEKDAYS = [
    ("MO", _("Monday")),
    ("TU", _("Tuesday")),
    ("WE", _("Wednesday")),
    ("TH", _("Thursday")),
    ("FR", _("Friday")),
    ("SA", _("Saturday")),
    ("SU", _("Sunday")),
]
ORDINALS = [
    ("1", _("first")),
    ("2", _("second")),
    ("3", _("third")),
    ("4", _("fourth")),
    ("-1", _("last")),
]


TEXTS = ("title", "summary", "description")
DESCRIPTION_HELP = _(
    "Type plain text: a blank line starts a new paragraph and web addresses become links. "
    "Basic HTML works too (paragraphs, bold, italics, lists, links); anything else is removed."
)
TEXT_LABELS = {"title": _("Title"), "summary": _("Summary"), "description": _("Description")}


def translated_label(name: str, code: str) -> str:
    """ "Title (French)": a text's field in another language, in the page's language."""
    return _("%(text)s (%(language)s)") % {
        "text": TEXT_LABELS[name],
        "language": dict(settings.LANGUAGES)[code],
    }


class SubmissionForm(EventDatesForm):
    """The organisers' form: an event in plain words, without an account.

    Repetition is asked as people say it ("every week on Tuesday until…", "every month on
    the last Friday") and written as an RRULE; the venue is typed and matched to the known
    venues (the browser suggests them), or proposed for editors to create.
    """

    organiser_name = forms.CharField(
        label=_("Your name or organisation"), max_length=200, validators=[validate_one_line]
    )
    organiser_email = forms.EmailField(
        label=_("Your e-mail"), help_text=_("We send the private link to manage the event here.")
    )
    venue_name = forms.CharField(
        label=_("Venue"),
        required=False,
        help_text=_("Start typing to choose a known venue."),
        widget=forms.TextInput(attrs={"list": "venue-list", "autocomplete": "off"}),
    )
    new_venue = forms.CharField(
        label=_("Or propose a new venue"),
        required=False,
        max_length=300,
        validators=[validate_one_line],
        help_text=_("Its name, address and area; an editor will add it."),
    )
    start = forms.DateTimeField(label=_("Starts"), widget=DateTimeLocalInput())
    end = forms.DateTimeField(
        label=_("Ends"),
        required=False,
        widget=DateTimeLocalInput(),
    )
    repeat = forms.ChoiceField(
        label=_("Repeats"),
        choices=[
            ("", _("Does not repeat")),
            ("weekly", _("Every week")),
            ("monthly", _("Every month")),
        ],
        required=False,
    )
    weekly_days = forms.MultipleChoiceField(
        label=_("On"), choices=WEEKDAYS, required=False, widget=forms.CheckboxSelectMultiple
    )
    # Blank: as on the first date ("the first Saturday" for Saturday 2 January), which is
    # what a browser without JavaScript sends unless the organiser chooses.
    monthly_ordinal = forms.ChoiceField(
        label=_("On the"), choices=[("", _("as on the first date")), *ORDINALS], required=False
    )
    monthly_weekday = forms.ChoiceField(
        label=_("weekday"), choices=[("", _("the first date's")), *WEEKDAYS], required=False
    )
    repeat_until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=HTMLDateInput(),
        validators=[validate_agenda_date],
    )
    rdates = DateListField(label=_("Extra dates"), required=False)
    exdates = DateListField(label=_("Skipped dates"), required=False)
    image = forms.FileField(
        label=_("Image"), required=False, help_text=_("JPEG, PNG or WebP, at most 5 MB.")
    )
    image_token = forms.CharField(required=False, widget=forms.HiddenInput)
    website_url = forms.CharField(required=False, label=_("Leave this empty"))  # the honeypot
    # Not typed: written from the plain words; the model's errors about it land here first.
    rrule = forms.CharField(required=False, widget=forms.HiddenInput)
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    # The texts in the organiser's own language (`text_language`); the same texts in the
    # other languages are optional (`title_fr`, …: the model's columns).
    title = forms.CharField(label=_("Title"), max_length=200, validators=[validate_one_line])
    summary = forms.CharField(
        label=_("Summary"), max_length=300, required=False, validators=[validate_one_line]
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=DESCRIPTION_HELP,
    )

    class Meta(EventDatesForm.Meta):
        fields = (
            "text_language", *columns(*TEXTS), "category", "tags", "start", "end", "all_day",
            "rdates", "exdates", "is_free", "price_min", "price_max", "ticket_url", "sold_out",
            "performers", "languages", "family_friendly", "min_age", "max_age",
            "accessibility_notes", "image_alt",
        )  # fmt: skip
        field_classes = {
            "tags": partial(BoundedChoices, bound="tags"),
            "languages": partial(BoundedChoices, bound="languages"),
        }
        widgets = {
            "tags": forms.CheckboxSelectMultiple,
            "languages": forms.CheckboxSelectMultiple,
            **{column: forms.Textarea(attrs={"rows": 4}) for column in columns("description")},
        }
        labels = {"text_language": _("Language of these texts")}
        help_texts = {
            "text_language": _("The other languages below are optional."),
        }

    def __init__(self, *args, venues=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.venues = list(venues) if venues is not None else []
        self.fields["category"].required = True
        self.custom_rule = ""
        own = self.instance.text_language if self.instance.pk else active_language()
        self.initial["text_language"] = own
        self.fields["text_language"].required = False  # not sent: as it was, or the page's
        for name in TEXTS:
            self.initial[name] = getattr(self.instance, f"{name}_{own}")
            for code in CODES:
                field = self.fields[f"{name}_{code}"]
                field.label, field.help_text = translated_label(name, code), ""
        if self.instance.pk:
            # An edit never changes the organiser (nor is it shown to every link): not asked.
            self.fields["organiser_name"].required = False
            self.fields["organiser_email"].required = False
            self.initial.setdefault(
                "venue_name", self.instance.venue.name if self.instance.venue else ""
            )
            words = rule_to_plain_words(self.instance.rrule)
            if self.instance.rrule and words_rule(words) != self.instance.rrule:
                # Imported or sent through the API: kept as it is unless the organiser
                # chooses another repetition, never dropped by an edit of the title.
                self.custom_rule = self.instance.rrule
                self.fields["repeat"].choices = [
                    (
                        CUSTOM,
                        _("As it is (custom repetition: %(rule)s)") % {"rule": self.custom_rule},
                    ),
                    *self.fields["repeat"].choices,
                ]
                self.initial["repeat"] = CUSTOM
            else:
                self.initial.update(words)

    def clean_text_language(self) -> str:
        return self.cleaned_data.get("text_language") or self.initial["text_language"]

    def clean_description(self) -> str:
        return typed_text_to_html(self.cleaned_data.get("description", ""))

    @property
    def own_language(self) -> str:
        """The language of the main texts: as chosen, else as it was."""
        chosen = self["text_language"].value()
        return chosen if chosen in CODES else self.initial["text_language"]

    def other_languages(self) -> list[tuple[str, list, bool]]:
        """(language name, its fields, whether to show them open) for each language but the
        texts' own (the template)."""
        shown = []
        for code in CODES:
            if code != self.own_language:
                fields = [self[f"{name}_{code}"] for name in TEXTS]
                filled = any(field.value() or field.errors for field in fields)
                shown.append((dict(settings.LANGUAGES)[code], fields, filled))
        return shown

    def typed_texts(self) -> str:
        """Every description as typed (the spam check reads links before they are made)."""
        return "\n".join(
            self.data.get(name, "") for name in ("description", *columns("description"))
        )

    def clean_venue_name(self):
        name = self.cleaned_data.get("venue_name", "").strip()
        if not name:
            return None
        for venue in self.venues:  # by its name in any language
            if name.casefold() in {getattr(venue, c).casefold() for c in columns("name")}:
                return venue
        raise forms.ValidationError(
            _(
                "“%(name)s” is not a venue we know: choose one of the suggestions, or propose it "
                "below."
            ),
            params={"name": name},
        )

    def clean(self):
        cleaned = super().clean()
        for column in columns("description"):
            cleaned[column] = typed_text_to_html(cleaned.get(column, ""))
        own = cleaned.get("text_language") or self.own_language
        for name in TEXTS:  # the main texts are the columns of their language
            if name in cleaned:
                cleaned[f"{name}_{own}"] = cleaned[name]
        if not cleaned.get("venue_name") and not cleaned.get("new_venue"):
            self.add_error("venue_name", _("Choose a venue, or propose a new one."))
        start, end = cleaned.get("start"), cleaned.get("end")
        repeating = cleaned.get("repeat") in ("weekly", "monthly") and not cleaned.get("all_day")
        if repeating and start and end and end - start > timedelta(days=1):
            self.add_error(
                "end",
                _(
                    "For a repeating event, the end is when each date ends (the same "
                    "evening, or the night after), not the last date: say until when it "
                    "repeats under “Until”."
                ),
            )
        if cleaned.get("repeat") == CUSTOM:
            cleaned["rrule"] = self.custom_rule
            return cleaned
        if "repeat_until" in self.errors:
            return cleaned  # its own error says what is wrong with it
        first = start.astimezone(self._zone()) if start else None  # the first date, local
        if first:  # what is not chosen repeats as on the first date
            if cleaned.get("repeat") == "weekly" and not cleaned.get("weekly_days"):
                cleaned["weekly_days"] = [WEEKDAY_CODES[first.weekday()]]
            if cleaned.get("repeat") == "monthly":
                place = "-1" if first.day > 28 else str((first.day - 1) // 7 + 1)
                cleaned["monthly_ordinal"] = cleaned.get("monthly_ordinal") or place
                cleaned["monthly_weekday"] = (
                    cleaned.get("monthly_weekday") or WEEKDAY_CODES[first.weekday()]
                )
        try:
            cleaned["rrule"] = plain_words_to_rule(cleaned)
        except forms.ValidationError as error:
            self.add_error("repeat", error)
            return cleaned
        if first and cleaned["rrule"] and not starts_on_rule(cleaned, first):
            # The first date is a date of its own (RFC 5545): it would be listed beside the
            # repetition's ("Sat 2 Jan, Mon 4 Jan, Mon 1 Feb") as if the rule said so.
            self.add_error(
                "repeat",
                _(
                    "The first date, %(date)s, is not one of the days it repeats on: choose "
                    "them so that it is, or start on one of them."
                )
                % {"date": formats.date_format(first, "l j F")},
            )
        return cleaned

    def _zone(self) -> ZoneInfo:
        name = self.cleaned_data.get("timezone") or self.instance.timezone
        return ZoneInfo(name if name in available_timezones() else settings.TIME_ZONE)

    def _post_clean(self):
        # The model validates the rule written from the plain words.
        self.instance.rrule = self.cleaned_data.get("rrule", "")
        self.instance.venue = self.cleaned_data.get("venue_name") or None
        self.instance.venue_proposal = self.cleaned_data.get("new_venue", "")
        super()._post_clean()
        for error in self.errors.pop("rrule", []):
            self.add_error("repeat", error)
        own = self.cleaned_data.get("text_language")
        for name in TEXTS:  # errors of the main texts' columns are the main fields'
            errors = self.errors.pop(f"{name}_{own}", [])
            if name not in self.errors:
                for error in errors:
                    self.add_error(name, error)


CUSTOM = "custom"


def words_rule(words: dict) -> str:
    """The rule plain words write, or "" when they cannot write one."""
    try:
        return plain_words_to_rule(words)
    except forms.ValidationError:
        return ""


def plain_words_to_rule(data: dict) -> str:
    repeat = data.get("repeat")
    if not repeat:
        return ""
    until = data.get("repeat_until")
    if until is None:
        raise forms.ValidationError(_("Say until when it repeats."), code="until")
    if repeat == "weekly":
        days = data.get("weekly_days") or []
        if not days:
            raise forms.ValidationError(_("Choose the days of the week."), code="days")
        by_day = ",".join(days)
    else:
        by_day = f"{data.get('monthly_ordinal') or '1'}{data.get('monthly_weekday') or 'MO'}"
    frequency = "WEEKLY" if repeat == "weekly" else "MONTHLY"
    return f"FREQ={frequency};BYDAY={by_day};UNTIL={until:%Y%m%d}"


def rule_to_plain_words(rule: str) -> dict:
    """The form's repetition fields for a rule written by `plain_words_to_rule`."""
    parts = dict(part.split("=", 1) for part in rule.split(";") if "=" in part)
    if not parts or "UNTIL" not in parts or len(parts["UNTIL"]) < 8:
        return {}
    until = datetime.strptime(parts["UNTIL"][:8], "%Y%m%d").date()
    if parts.get("FREQ") == "WEEKLY":
        return {
            "repeat": "weekly",
            "weekly_days": parts.get("BYDAY", "").split(","),
            "repeat_until": until,
        }
    if parts.get("FREQ") == "MONTHLY" and parts.get("BYDAY"):
        by_day = parts["BYDAY"]
        return {
            "repeat": "monthly",
            "monthly_ordinal": by_day[:-2],
            "monthly_weekday": by_day[-2:],
            "repeat_until": until,
        }
    return {}


def weekday_name(code: str) -> str:
    """A weekday as a sentence writes it, in the active language ("mardi", "Tuesday")."""
    return formats.date_format(date(2024, 1, 1) + timedelta(days=WEEKDAY_CODES.index(code)), "l")


WEEKDAY_CODES = [code for code, _label in WEEKDAYS]


EVERY = {
    "DAILY": _("Every day"),
    "WEEKLY": _("Every week"),
    "MONTHLY": _("Every month"),
    "YEARLY": _("Every year"),
}
WORDED_PARTS = {"FREQ", "INTERVAL", "BYDAY", "UNTIL", "COUNT", "WKST"}


def rule_in_words(rule: str) -> str:
    """A rule in a sentence, as the organisers' form states it ("Every week on Tuesday,
    until 22 December 2026", "Every month on the first Saturday, 6 times"): what editors
    read in the admin. A rule with parts no sentence here says is shown as it is."""
    parts = dict(part.split("=", 1) for part in (rule or "").split(";") if "=" in part)
    frequency = parts.get("FREQ")
    if frequency not in EVERY or set(parts) - WORDED_PARTS or parts.get("INTERVAL", "1") != "1":
        return rule or ""
    said = str(EVERY[frequency])
    days = [day for day in parts.get("BYDAY", "").split(",") if day]
    ordinal = days[0][:-2] if len(days) == 1 else ""
    if days and all(day in WEEKDAY_CODES for day in days):
        names = ", ".join(weekday_name(day) for day in days)
        said = _("%(every)s on %(days)s") % {"every": said, "days": names}
    elif ordinal in dict(ORDINALS) and days[0][-2:] in WEEKDAY_CODES:
        said = _("%(every)s on the %(ordinal)s %(weekday)s") % {
            "every": said,
            "ordinal": dict(ORDINALS)[ordinal],
            "weekday": weekday_name(days[0][-2:]),
        }
    elif days:
        return rule
    if len(parts.get("UNTIL", "")) >= 8 and parts["UNTIL"][:8].isdigit():
        until = datetime.strptime(parts["UNTIL"][:8], "%Y%m%d").date()
        return _("%(rule)s, until %(until)s") % {
            "rule": said,
            "until": formats.date_format(until, "j F Y"),
        }
    if parts.get("COUNT", "").isdigit():
        count = int(parts["COUNT"])
        return ngettext("%(rule)s, %(count)s time", "%(rule)s, %(count)s times", count) % {
            "rule": said,
            "count": count,
        }
    return said


def starts_on_rule(words: dict, start: datetime) -> bool:
    """Whether the first date (local) is one of the days the plain words repeat on."""
    code = WEEKDAY_CODES[start.weekday()]
    if words.get("repeat") == "weekly":
        return code in (words.get("weekly_days") or [])
    ordinal = words.get("monthly_ordinal") or "1"
    if (words.get("monthly_weekday") or "MO") != code:
        return False
    if ordinal == "-1":
        return start.day + 7 > calendar.monthrange(start.year, start.month)[1]
    return (start.day - 1) // 7 + 1 == int(ordinal)
