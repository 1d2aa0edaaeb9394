"""`Occurrence.spans_days` (listed on every day it covers) becomes `is_run`: on for more than
a day (over 25 hours). A date all day on one day was one, and is a happening now."""

from datetime import timedelta

from django.db import migrations, models
from django.db.models import F

RUN_LONGER_THAN = timedelta(hours=25)  # diary.models.RUN_LONGER_THAN when this was written


def runs(apps, schema_editor):
    Occurrence = apps.get_model("diary", "Occurrence")
    longer = {"end__gt": F("start") + RUN_LONGER_THAN}
    Occurrence.objects.filter(**longer).exclude(is_run=True).update(is_run=True)
    Occurrence.objects.exclude(**longer).exclude(is_run=False).update(is_run=False)


class Migration(migrations.Migration):

    dependencies = [
        ('diary', '0030_search_text_areas'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='occurrence',
            name='occurrence_public_start',
        ),
        migrations.RemoveIndex(
            model_name='occurrence',
            name='occurrence_public_spans',
        ),
        migrations.RenameField(
            model_name='occurrence',
            old_name='spans_days',
            new_name='is_run',
        ),
        migrations.RunPython(runs, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='occurrence',
            index=models.Index(condition=models.Q(('published', True)), fields=['start', 'end', 'event', 'published', 'is_run'], include=('id',), name='occurrence_public_start'),
        ),
        migrations.AddIndex(
            model_name='occurrence',
            index=models.Index(condition=models.Q(('is_run', True), ('published', True)), fields=['start', 'end', 'published', 'is_run'], name='occurrence_public_runs'),
        ),
    ]
