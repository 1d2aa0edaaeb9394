"""Occurrences carry their event's publication, events their search text, for the indexes
the agenda's queries need at 100,000 events (issue 8). On PostgreSQL, `q` gets a trigram
index: UPPER(search_text) is what Django's icontains compares."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Concat

TRIGRAM_INDEX = "event_search_text_trgm"


def copy_publication_and_search_text(apps, schema_editor):
    Event = apps.get_model("diary", "Event")
    Occurrence = apps.get_model("diary", "Occurrence")
    Occurrence.objects.filter(event__publication_state="published").update(published=True)
    venue_name = apps.get_model("venues", "Venue").objects.filter(pk=OuterRef("venue_id"))
    Event.objects.update(
        search_text=Concat(
            "title",
            Value("\n"),
            "summary",
            Value("\n"),
            Coalesce(Subquery(venue_name.values("name")), Value("")),
        )
    )


def trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            f"CREATE INDEX {TRIGRAM_INDEX} ON diary_event USING gin (UPPER(search_text) gin_trgm_ops)"
        )


def trigram_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("diary", "0009_event_ical"),
        ("venues", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="occurrence", name="occurrence_start_idx"),
        migrations.RemoveIndex(model_name="occurrence", name="occurrence_end_idx"),
        migrations.AddField(
            model_name="event",
            name="search_text",
            field=models.TextField(default="", editable=False),
        ),
        migrations.AddField(
            model_name="occurrence",
            name="published",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(copy_publication_and_search_text, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="occurrence",
            index=models.Index(
                fields=["published", "start", "event"], name="occurrence_public_start"
            ),
        ),
        migrations.AddIndex(
            model_name="occurrence",
            index=models.Index(fields=["published", "end"], name="occurrence_public_end"),
        ),
        migrations.RunPython(trigram_index, trigram_index_drop),
    ]
