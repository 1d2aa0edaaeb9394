from urllib.error import URLError

from django.core.management.base import BaseCommand, CommandError

from diary.articles import articles_import
from feeds.importers import read_source


class Command(BaseCommand):
    help = (
        "Import the magazine's stories from an RSS or Atom feed, or a WordPress REST "
        "wp/v2/posts page (use ?_embed for authors, images and tags). Upserts by URL."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", metavar="PATH_OR_URL")

    def handle(self, *args, source: str, **options):
        try:
            data = read_source(source)
        except (OSError, URLError, ValueError) as error:
            raise CommandError(f"Could not read {source}: {error}") from error
        report = articles_import(data)
        for message in report.errors:
            self.stderr.write(message)
        style = self.style.WARNING if report.errors else self.style.SUCCESS
        self.stdout.write(style(f"{source}: {report}."))
