"""The images nothing refers to any more, swept daily (`remove_orphan_images`): above the
models and the sharing cards it asks, so that diary.images, which the models build on, knows
neither."""

from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

from diary.images import image_delete
from diary.models import Article, Event
from diary.sharing import sharing_names
from venues.models import Venue


def orphan_images_remove(*, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete the images nothing refers to (an event's left by earlier versions, which
    stored every upload, or by a crash between writing a file and saving its event; a
    story's or venue's an editor replaced), with their sizes, and the sharing pictures of
    deleted events or forgotten ones (diary.sharing). Files younger than `older_than` stay:
    a submission may be saving with one right now."""
    now = now or timezone.now()
    referenced = set()
    for model, field in ((Event, "image"), (Event, "sharing_image"), (Article, "image"),
                         (Venue, "image")):  # fmt: skip
        referenced |= set(model.objects.exclude(**{field: ""}).values_list(field, flat=True))
    referenced |= {  # each sharing card's siblings in the other languages and ratios
        sibling for name in list(referenced) if name.startswith("sharing/")
        for sibling in sharing_names(name)
    }  # fmt: skip
    for change in Event.objects.filter(pending_change__isnull=False).values_list(
        "pending_change", flat=True
    ):
        referenced.add((change.get("fields") or {}).get("image"))  # proposed, not yet approved
    removed = 0
    folders = ["events", "sharing", "articles", "venues"]
    while folders:
        folder = folders.pop()
        try:
            subfolders, files = default_storage.listdir(folder)
        except FileNotFoundError:
            continue
        folders += [f"{folder}/{name}" for name in subfolders]
        for name in files:
            path = f"{folder}/{name}"
            if path in referenced or now - default_storage.get_modified_time(path) < older_than:
                continue
            image_delete(path)
            removed += 1
    return removed
