"""A category's events by id from one narrow index (see Event.Meta); the foreign keys' own
indexes on category and venue go, each led by a wider one (event_category_id,
event_venue_id). The new index comes first, so no moment is left without one."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("diary", "0021_event_flag_indexes"),
        ("venues", "0003_texts_in_languages"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["category", "id"], name="event_category_id"),
        ),
        migrations.AlterField(
            model_name="event",
            name="category",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="diary.category",
                verbose_name="category",
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="venue",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                help_text="Leave empty for online events and outdoor events without a venue.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="venues.venue",
                verbose_name="venue",
            ),
        ),
    ]
