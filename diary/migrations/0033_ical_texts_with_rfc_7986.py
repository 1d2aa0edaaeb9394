"""The feeds' stored VEVENT texts are rendered anew (feeds.ical): they now carry RFC 7986's
COLOR, IMAGE and CONFERENCE, and X-EVENT-STATUS. Cleared here, each is rendered again the
first time a feed reads it."""

from django.db import migrations


def clear_texts(apps, schema_editor):
    Event = apps.get_model("diary", "Event")
    columns = [field.name for field in Event._meta.fields if field.name.startswith("ical_")]
    Event.objects.update(**dict.fromkeys(columns, ""))


class Migration(migrations.Migration):
    dependencies = [("diary", "0032_occurrence_category")]

    operations = [migrations.RunPython(clear_texts, migrations.RunPython.noop, elidable=True)]
