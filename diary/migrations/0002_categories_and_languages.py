"""The fixed list of categories and the common spoken languages.

Neither is specific to a city; editors can rename or extend them in the admin.
"""

from django.db import migrations

CATEGORIES = [
    ("music", "Music"),
    ("exhibition", "Exhibition"),
    ("theatre", "Theatre"),
    ("dance", "Dance"),
    ("film", "Film"),
    ("talk", "Talk"),
    ("festival", "Festival"),
    ("family", "Family"),
    ("food-drink", "Food & drink"),
    ("market", "Market"),
    ("nightlife", "Nightlife"),
    ("sport", "Sport"),
    ("guided-tour", "Guided tour"),
    ("workshop", "Workshop"),
]

LANGUAGES = [
    ("ar", "Arabic"),
    ("de", "German"),
    ("en", "English"),
    ("es", "Spanish"),
    ("fr", "French"),
    ("it", "Italian"),
    ("nl", "Dutch"),
    ("pl", "Polish"),
    ("pt", "Portuguese"),
    ("ro", "Romanian"),
    ("tr", "Turkish"),
]


def create(apps, schema_editor):
    Category = apps.get_model("diary", "Category")
    Language = apps.get_model("diary", "Language")
    for position, (slug, name) in enumerate(CATEGORIES):
        Category.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})
    for code, name in LANGUAGES:
        Language.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("diary", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
