import os
import subprocess
import sys

import pytest


def load_settings(
    _print: str = "s.DATABASES['default']['ENGINE']", **env
) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", f"import config.settings as s; print({_print})"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = load_settings(DEBUG="0")
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


@pytest.mark.parametrize(
    ("database_url", "engine"),
    [
        ("", "django.db.backends.sqlite3"),
        ("postgres://postgres@127.0.0.1:5432/agenda", "django.db.backends.postgresql"),
    ],
)
def test_the_database_comes_from_database_url(database_url, engine):
    result = load_settings(DEBUG="0", SECRET_KEY="x" * 50, DATABASE_URL=database_url)
    assert result.stdout.strip() == engine, result.stderr
