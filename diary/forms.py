from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diary import recurrence
from diary.models import Event, available_timezones


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
        values = [line for line in lines if line]
        try:
            recurrence.parse_date_list(values, tz=ZoneInfo("UTC"))
        except recurrence.RecurrenceError as error:
            raise forms.ValidationError(str(error), code="invalid_date") from None
        return values


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

    rdates = DateListField(label=_("extra dates"), required=False)
    exdates = DateListField(label=_("exception dates"), required=False)

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
        tz_name = cleaned.get("timezone")
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

            def midnight(moment: datetime, days: int = 0):
                local_day = moment.astimezone(tz).date() + timedelta(days=days)
                return recurrence.to_aware(datetime.combine(local_day, time.min), tz)

            cleaned["start"] = midnight(start)
            cleaned["end"] = midnight(end, days=1) if end else None
            if cleaned["end"] is not None and cleaned["end"] <= cleaned["start"]:
                self.add_error("end", _("The last day cannot be before the first."))
        return cleaned
