from django.core.management.base import BaseCommand

from diary.sharing import sharing_images_draw


class Command(BaseCommand):
    help = (
        "Draw the sharing pictures (Open Graph) missing or out of date of the published events "
        "not yet over: those an import or the demo inserted in bulk, or whose venue, area or "
        "category was renamed. A save draws its event's own. Safe to run daily."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"Sharing pictures drawn: {sharing_images_draw()}.")
