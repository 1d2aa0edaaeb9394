"""Search text folded (no accents, no case) and holding the category's name."""

from django.db import migrations

from diary.text import searchable


def fold(apps, schema_editor):
    Event = apps.get_model("diary", "Event")
    batch = []
    events = Event.objects.select_related("venue", "category").only(
        "title", "summary", "search_text", "venue__name", "category__name"
    )
    for event in events.iterator(chunk_size=1000):
        names = [event.title, event.summary]
        names += [related.name if related else "" for related in (event.venue, event.category)]
        event.search_text = searchable("\n".join(names))
        batch.append(event)
        if len(batch) == 1000:
            Event.objects.bulk_update(batch, ["search_text"])
            batch = []
    Event.objects.bulk_update(batch, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [("diary", "0013_event_pending_change")]
    # This and 0010 read the venues' `name`, which venues/0003 moves to `name_en`: on a new
    # database they run first, whatever later migrations depend on.
    run_before = [("venues", "0003_texts_in_languages")]

    operations = [migrations.RunPython(fold, migrations.RunPython.noop)]
