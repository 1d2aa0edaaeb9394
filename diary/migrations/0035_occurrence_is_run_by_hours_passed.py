"""`Occurrence.is_run` counted a date's length on the wall clock, an hour short across the
autumn change (diary.models.Occurrence.is_run_of): a date on for 26 hours that passed was
kept a happening, and missed by the filter of what is still on in its last hour. Counted
here again as the database counts (as 0031 did)."""

from datetime import timedelta

from django.db import migrations
from django.db.models import F

RUN_LONGER_THAN = timedelta(hours=25)  # diary.models.RUN_LONGER_THAN when this was written


def runs(apps, schema_editor):
    Occurrence = apps.get_model("diary", "Occurrence")
    longer = {"end__gt": F("start") + RUN_LONGER_THAN}
    Occurrence.objects.filter(**longer).exclude(is_run=True).update(is_run=True)
    Occurrence.objects.exclude(**longer).exclude(is_run=False).update(is_run=False)


class Migration(migrations.Migration):
    dependencies = [("diary", "0034_sharing_cards_in_three_ratios")]

    operations = [migrations.RunPython(runs, migrations.RunPython.noop, elidable=True)]
