from urllib.error import URLError

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from feeds.importers import import_calendar, organiser_for, read_source, source_key


class Command(BaseCommand):
    help = (
        "Import an iCalendar file or feed: its events are matched by their UID in this "
        "source, so importing again updates them; events gone from the source are "
        "cancelled, not deleted; no other source's event is ever touched (a UID another "
        "event holds is imported beside it, for an editor). Imported events wait for "
        "moderation unless --publish (or a trusted --organiser, for its own events)."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", metavar="PATH_OR_URL", help="a .ics file, or an URL")
        parser.add_argument("--organiser", metavar="EMAIL", help="the events' organiser")
        parser.add_argument("--publish", action="store_true", help="publish them at once")
        parser.add_argument(
            "--source",
            dest="source_name",
            metavar="NAME",
            help="the name its events are bound to (default: the URL, or the file's full "
            "path): keep it when the calendar moves",
        )

    def handle(self, *args, source: str, organiser: str | None, publish: bool, **options):
        name = (options["source_name"] or "").strip() or source_key(source)
        try:
            data = read_source(source)
        except (OSError, URLError, ValueError) as error:
            raise CommandError(f"Could not read {source}: {error}") from error
        # A progress bar on a terminal; nothing under cron (tqdm's `disable=None`).
        with tqdm(unit="event", disable=None, file=self.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.total, bar.n = total, done
                bar.refresh()

            report = import_calendar(
                data,
                source=name,
                organiser=organiser_for(organiser) if organiser else None,
                publish=publish,
                progress=progress,
            )
        for message in report.errors:
            self.stderr.write(message)
        for message in report.clashes:
            self.stdout.write(self.style.WARNING(f"Another event's UID: {message}"))
        for message in report.duplicates:
            self.stdout.write(self.style.WARNING(f"Likely duplicate: {message}"))
        for message in report.notes:
            self.stdout.write(f"Note: {message}")
        style = self.style.WARNING if report.errors or report.clashes else self.style.SUCCESS
        self.stdout.write(style(f"{source}: {report}."))
