"""Each occurrence carries a copy of its event's category (kept by Event.save(), as its
publication): the runs that are on are counted by category from an index alone, without
joining a capital's events."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def categories(apps, schema_editor):
    Event = apps.get_model("diary", "Event")
    Occurrence = apps.get_model("diary", "Occurrence")
    of_event = Event.objects.filter(pk=OuterRef("event_id")).values("category_id")[:1]
    Occurrence.objects.update(category=Subquery(of_event))


class Migration(migrations.Migration):

    dependencies = [
        ('diary', '0031_occurrence_is_run'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='occurrence',
            name='occurrence_public_runs',
        ),
        migrations.AddField(
            model_name='occurrence',
            name='category',
            field=models.ForeignKey(db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='diary.category'),
        ),
        migrations.RunPython(categories, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='occurrence',
            index=models.Index(condition=models.Q(('is_run', True), ('published', True)), fields=['start', 'end', 'published', 'is_run', 'event', 'category'], name='occurrence_public_runs'),
        ),
    ]
