"""Sharing cards are drawn in three ratios now (16:9, 4:3 and 1:1, diary.images.RATIOS), and
pages name all three. The cards drawn before (1200 × 630, one ratio) are forgotten here, so
that no page names a file not drawn yet: `draw_sharing_images` draws them anew, and
`remove_orphan_images` deletes the old ones."""

from django.db import migrations


def forget_cards(apps, schema_editor):
    Event = apps.get_model("diary", "Event")
    Event.objects.exclude(sharing_image="").update(sharing_image="")


class Migration(migrations.Migration):
    dependencies = [("diary", "0033_ical_texts_with_rfc_7986")]

    operations = [migrations.RunPython(forget_cards, migrations.RunPython.noop, elidable=True)]
