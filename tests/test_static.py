from django.core.management import call_command


def test_collectstatic_works_with_the_production_manifest_storage(settings, tmp_path):
    """A deployment runs collectstatic with hashed names: every file a CSS or JS file
    refers to (a source map, an image) must exist, or the deploy fails."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "static" / "staticfiles.json").exists()
    assert list((tmp_path / "static" / "vendor" / "leaflet-1.9.4").glob("leaflet.*.js"))


def test_the_embed_script_keeps_its_address_after_collectstatic(settings, tmp_path):
    """Partner sites paste /static/embed.js once: the unhashed file must be deployed too."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "static" / "embed.js").exists()
