from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from diary.demo import PICTURES, VENUES, demo_city_seed
from diary.models import Event


class Command(BaseCommand):
    help = (
        "Load the demo city: real venues, magazine articles and generated events around today. "
        "Idempotent: running it again adds only what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=300, help="generated events (≤ 100000)")
        parser.add_argument(
            "--venues", type=int, default=len(VENUES), help="venues; real ones first"
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--pictures",
            type=int,
            default=PICTURES,
            help=f"posters for the first generated events (default {PICTURES})",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the diary has events"
        )

    def handle(self, *args, events, venues, seed, pictures, if_empty, **options):
        if not 0 <= events <= 100_000:
            raise CommandError("--events must be between 0 and 100000.")
        if venues < 1:
            raise CommandError("--venues must be at least 1.")
        if if_empty and Event.objects.exists():
            self.stdout.write("The diary already has events; nothing loaded.")
            return
        with tqdm(total=events, unit="event", disable=None, file=self.stderr) as bar:
            result = demo_city_seed(
                events=events, venues=venues, seed=seed, pictures=pictures, progress=bar.update
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo city ready: {result['venues']} venues, {result['events']} events added."
            )
        )
