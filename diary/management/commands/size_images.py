from django.core.management.base import BaseCommand

from diary.images import sizes_make
from diary.models import Event


class Command(BaseCommand):
    help = (
        "Make the served sizes (WebP and JPEG) of the event images saved before they existed, "
        "and record their dimensions. New images get theirs when they are saved. Safe to rerun."
    )

    def handle(self, *args, **options):
        waiting = Event.objects.exclude(image="").filter(image_width__isnull=True)
        made = unreadable = 0
        for event in waiting.only("pk", "image").iterator():
            if sizes_make(event, force=True):
                made += 1
            else:
                unreadable += 1
        self.stdout.write(f"Images sized: {made}; missing or unreadable: {unreadable}.")
