"""What the admin's home tells editors first: what waits for them."""

from django import template
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import ngettext

from diary.models import Event

register = template.Library()


@register.simple_tag
def waiting() -> list[tuple[str, str]]:
    """(sentence, queue URL) for each kind of item waiting, counted in one query."""
    pending = Event.PublicationState.PENDING
    counts = Event.objects.awaiting_moderation().aggregate(
        new=Count("pk", filter=Q(publication_state=pending)),
        changes=Count("pk", filter=~Q(publication_state=pending)),
        duplicates=Count("pk", filter=Q(duplicate_of__isnull=False)),
    )
    new, changes, duplicates = counts["new"], counts["changes"], counts["duplicates"]
    queue = reverse("admin:diary_submission_changelist")
    return [
        (
            ngettext("%(count)d new submission", "%(count)d new submissions", new) % {"count": new},
            queue,
        ),
        (
            ngettext(
                "%(count)d change to a published event",
                "%(count)d changes to published events",
                changes,
            )
            % {"count": changes},
            queue,
        ),
        (
            ngettext("%(count)d likely duplicate", "%(count)d likely duplicates", duplicates)
            % {"count": duplicates},
            f"{queue}?duplicate=yes",
        ),
    ]
