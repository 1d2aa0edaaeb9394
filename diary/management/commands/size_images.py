from django.core.management.base import BaseCommand

from diary.images import crop_names, sizes_make
from diary.models import Event


class Command(BaseCommand):
    help = (
        "Make the served sizes (WebP and JPEG) and the crops for search engines of the event "
        "images saved before they existed, and record their dimensions. New images get theirs "
        "when they are saved. Safe to rerun."
    )

    def handle(self, *args, **options):
        pictured = Event.objects.exclude(image="").only(
            "pk", "image", "image_width", "image_height"
        )
        made = cropped = unreadable = 0
        for event in pictured.iterator():
            if event.image_width is None:
                if sizes_make(event, force=True):
                    made += 1
                else:
                    unreadable += 1
            elif missing := [name for name in crop_names(event) if not stored(event, name)]:
                try:
                    for name in missing:
                        getattr(event, name).generate(force=True)  # imagekit's cache says made
                except (OSError, ValueError, SyntaxError):
                    unreadable += 1
                else:
                    cropped += 1
        self.stdout.write(
            f"Images sized: {made}; cropped: {cropped}; missing or unreadable: {unreadable}."
        )


def stored(event: Event, name: str) -> bool:
    crop = getattr(event, name)
    return crop.storage.exists(crop.name)
