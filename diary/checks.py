"""System checks that read the data: `manage.py check --deploy --database default`.

Rules stored before recurrence.MAX_WORK existed (or written straight into the database) may
now be refused. `extend_occurrences` logs and skips them; this check lists them, so that an
editor can correct each one instead of the daily job paying for them again and again. It
expands every recurring event, so it is a deployment check: `migrate`, which runs the
database checks, does not pay for it.
"""

from django.core import checks
from django.db import connection
from django.utils import timezone

from diary import recurrence


@checks.register(checks.Tags.database, deploy=True)
def stored_rules_within_budget(app_configs=None, databases=None, **kwargs) -> list:
    from diary.models import Event

    if not databases or "default" not in databases:
        return []
    if Event._meta.db_table not in connection.introspection.table_names():
        return []  # not migrated yet
    now = timezone.now()
    problems = []
    for event in Event.objects.recurring().iterator(chunk_size=500):
        try:
            event.stored_instances(now)
        except recurrence.RecurrenceError as error:
            problems.append(
                checks.Warning(
                    f"Event {event.pk} ({event.title!r}) has a recurrence rule that cannot be "
                    f"expanded: {error}",
                    hint="Correct its rule in the admin (or cancel the event); until then "
                    "extend_occurrences skips it.",
                    obj=event,
                    id="diary.W001",
                )
            )
    return problems
