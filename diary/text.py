"""Control characters: refused in every text a person or a client sends.

A line break in a title breaks e-mail headers and iCalendar lines; a bare carriage return
slips past iCalendar escaping; escape sequences reach terminals that read the logs. One-line
fields refuse every control character; multi-line ones keep line breaks and tabs.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.template import Context
from django.template.loader import get_template
from django.utils.translation import gettext_lazy as _

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def validate_one_line(value: str) -> None:
    if CONTROL.search(value or ""):
        raise ValidationError(
            _("Remove the line breaks and other control characters from this field."),
            code="control_characters",
        )


def validate_text(value: str) -> None:
    if CONTROL_BUT_LINES.search(value or ""):
        raise ValidationError(
            _("Remove the control characters from this text (line breaks are fine)."),
            code="control_characters",
        )


def one_line(text: str) -> str:
    """Text safe for a one-line slot (a mail subject, a calendar name): every run of control
    characters and blanks becomes one space."""
    return " ".join(CONTROL.sub(" ", text or "").split())


def mail_subject(template_name: str, context: dict | None = None) -> str:
    """A mail subject from its template, as plain text on one line: every mail's subject is
    made here. A subject is no HTML, so nothing is escaped (render_to_string would write
    “Tour &amp; Taxis”), and whatever a title held stays out of the other headers."""
    template = get_template(template_name).template  # Django's own: it renders unescaped
    return one_line(template.render(Context(context or {}, autoescape=False)))


def searchable(text: str) -> str:
    """Text as the `q` search compares it: lower case, without accents (marché → marche),
    so a person finds an event however they type its words."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
