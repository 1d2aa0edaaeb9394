"""Partial indexes of the published dates (SQLite ranges over them: a leading `published`
column made it scan), and each date's `spans_days`, filled from its times."""

from datetime import timedelta

from django.db import migrations, models
from django.db.models import ExpressionWrapper, F, Q


def fill_spans_days(apps, schema_editor):
    """As Occurrence.spans_days_of says: all day, or longer than a day."""
    Occurrence = apps.get_model("diary", "Occurrence")
    Occurrence.objects.update(
        spans_days=ExpressionWrapper(
            Q(all_day=True) | Q(end__gt=F("start") + timedelta(days=1)),
            output_field=models.BooleanField(),
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("diary", "0019_likely_duplicates"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="occurrence",
            name="occurrence_public_end",
        ),
        migrations.RemoveIndex(
            model_name="occurrence",
            name="occurrence_public_start",
        ),
        migrations.AddField(
            model_name="occurrence",
            name="spans_days",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(fill_spans_days, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="occurrence",
            index=models.Index(
                condition=models.Q(("published", True)),
                fields=["start", "end", "event", "published", "spans_days"],
                include=["id"],
                name="occurrence_public_start",
            ),
        ),
        migrations.AddIndex(
            model_name="occurrence",
            index=models.Index(
                condition=models.Q(("published", True)),
                fields=["end", "published"],
                name="occurrence_public_end",
            ),
        ),
        migrations.AddIndex(
            model_name="occurrence",
            index=models.Index(
                condition=models.Q(("published", True), ("spans_days", True)),
                fields=["start", "end", "published", "spans_days"],
                name="occurrence_public_spans",
            ),
        ),
    ]
