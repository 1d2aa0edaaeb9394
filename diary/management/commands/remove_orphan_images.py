from datetime import timedelta

from django.core.management.base import BaseCommand

from diary.orphan_images import orphan_images_remove


class Command(BaseCommand):
    help = (
        "Delete uploaded event images that no event refers to and that are older than a day "
        "(--hours). Safe to run daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=24, help="Keep younger files.")

    def handle(self, *args, hours: int, **options):
        removed = orphan_images_remove(older_than=timedelta(hours=hours))
        self.stdout.write(f"Images removed: {removed}.")
