from django.core.management.base import BaseCommand

from diary.letters import digests_send


class Command(BaseCommand):
    help = (
        "Send the weekly letters due today: each confirmed subscriber, on their day, gets the "
        "next seven days of their selection (none for an empty week). Run it daily (cron, "
        "systemd timer); running it again, or after an interruption, never sends a week twice."
    )

    def handle(self, *args, **options):
        result = digests_send()
        self.stdout.write(
            f"Letters: {result.sent} sent, {result.empty} empty weeks skipped, "
            f"{result.done_before} already done."
        )
