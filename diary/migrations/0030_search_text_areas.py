"""Events' search text holds their venue's area (municipality) names too: `?q=ixelles` or
`?q=elsene` finds what is on in Ixelles. Written again for every event, in batches."""

from django.db import migrations

from common.translation import columns
from diary.text import searchable

BATCH = 1000


def search_texts_with_areas(apps, schema_editor):
    Event = apps.get_model("diary", "Event")
    named = Event.objects.select_related("venue__municipality", "category").only(
        "pk",
        *columns("title", "summary"),
        "search_text",
        *(
            f"{related}__{column}"
            for related in ("venue", "venue__municipality", "category")
            for column in columns("name")
        ),
    )
    batch = []
    for event in named.iterator(chunk_size=BATCH):
        texts = [getattr(event, column) for column in columns("title", "summary")]
        area = event.venue.municipality if event.venue else None
        for related in (event.venue, area, event.category):
            if related:
                texts += dict.fromkeys(getattr(related, column) for column in columns("name"))
        event.search_text = searchable("\n".join(text for text in texts if text))
        batch.append(event)
        if len(batch) == BATCH:
            Event.objects.bulk_update(batch, ["search_text"])
            batch = []
    Event.objects.bulk_update(batch, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [("diary", "0029_letter_stop"), ("venues", "0004_venue_image")]

    operations = [migrations.RunPython(search_texts_with_areas, migrations.RunPython.noop)]
