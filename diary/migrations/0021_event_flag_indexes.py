"""Narrow indexes of the events' flags, for the agenda's joins (see Event.Meta)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("diary", "0020_occurrence_partial_indexes_and_spans_days"),
        ("venues", "0003_texts_in_languages"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=models.Q(("is_free", True)), fields=["id"], name="event_free"
            ),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=models.Q(("family_friendly", True)), fields=["id"], name="event_family"
            ),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["venue", "id"], name="event_venue_id"),
        ),
    ]
