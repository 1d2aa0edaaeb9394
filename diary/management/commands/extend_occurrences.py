from django.core.management.base import BaseCommand

from diary.services import occurrences_extend


class Command(BaseCommand):
    help = (
        "Roll the occurrence horizon forward: materialise the dates of recurring events up to "
        "DIARY_HORIZON_DAYS from now. Run it daily (cron, systemd timer)."
    )

    def handle(self, *args, **options):
        result = occurrences_extend()
        self.stdout.write(
            f"Occurrences: {result.created} created, {result.updated} updated, "
            f"{result.deleted} deleted."
        )
