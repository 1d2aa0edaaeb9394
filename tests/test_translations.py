"""The interface's catalogues (locale/): complete, compiled, and covering the code."""

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(settings.BASE_DIR)
LANGUAGES = ("fr", "nl")
# What `make messages` scans (the Makefile's MESSAGES_SCAN leaves the rest out).
SOURCES = ("config", "common", "diary", "feeds", "venues", "templates", "manage.py")
PLACEHOLDER = re.compile(r"%\([a-zA-Z_]+\)[sd]|%[sd]")


def catalogue(language: str, root: Path = ROOT):
    with open(root / "locale" / language / "LC_MESSAGES" / "django.po", "rb") as po:
        return read_po(po, locale=language)


def messages(language: str, root: Path = ROOT):
    return [message for message in catalogue(language, root) if message.id]


def forms(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list | tuple) else (value,)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated_and_none_is_fuzzy(language):
    entries = messages(language)
    assert len(entries) > 300
    for message in entries:
        assert "fuzzy" not in message.flags, message.id
        translations = forms(message.string)
        assert all(translation.strip() for translation in translations), message.id
        # Every placeholder of the English, and no other, in every form.
        expected = set(PLACEHOLDER.findall(" ".join(forms(message.id))))
        for translation in translations:
            found = set(PLACEHOLDER.findall(translation))
            assert found <= expected and (found == expected or len(translations) > 1), (
                message.id,
                translation,
            )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language):
    with open(ROOT / "locale" / language / "LC_MESSAGES" / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for message in messages(language):
        if isinstance(message.id, list | tuple):
            singular, plural = message.id
            assert compiled.ngettext(singular, plural, 1) == message.string[0]
            assert compiled.ngettext(singular, plural, 5) == message.string[-1]
        elif message.context:
            assert compiled.pgettext(message.context, message.id) == message.string
        else:
            assert compiled.gettext(message.id) == message.string, message.id


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (make messages)")
def test_the_catalogues_hold_every_string_of_the_code(tmp_path, monkeypatch):
    """`makemessages` run on a copy of the code adds nothing the catalogues lack."""
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    shutil.copytree(ROOT / "locale", tmp_path / "locale")
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command("makemessages", locale=list(LANGUAGES), no_obsolete=True, verbosity=0)
    for language in LANGUAGES:
        committed = {forms(message.id) for message in messages(language)}
        gathered = {forms(message.id) for message in messages(language, tmp_path)}
        assert gathered - committed == set(), f"{language}: run `make messages`, translate"
        assert committed - gathered == set(), f"{language}: strings no longer in the code"


def test_gettext_is_at_hand_where_the_catalogues_are_made():
    """`make messages` installs GNU gettext when missing; the suite itself never needs it."""
    makefile = (ROOT / "Makefile").read_text()
    assert "apt-get install -y -qq gettext" in makefile
    assert subprocess.run(["git", "check-ignore", "-q", "locale/fr/LC_MESSAGES/django.mo"],
                          cwd=ROOT, check=False).returncode == 1  # fmt: skip
