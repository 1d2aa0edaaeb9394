"""Parts of finding 14 of issue 29 (docs/security.md), as the attacker tried them, refused:
the embedded database under concurrent writes, and text from a stranger's feed."""

import os
import subprocess
import sys
import textwrap

import pytest

WRITERS = textwrap.dedent(
    """
    import threading, time
    import django
    django.setup()
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE visit (id INTEGER PRIMARY KEY, n INTEGER)")
    connection.close()
    failures = []

    def submit(n):  # as a submission does: read (the slug, the limits), then write
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM visit")
                time.sleep(0.02)
                cursor.execute("INSERT INTO visit (n) VALUES (%s)", [n])
        except Exception as error:
            failures.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM visit")
        print(cursor.fetchone()[0], failures)
    """
)


def test_14_twenty_concurrent_writes_to_the_embedded_database_all_succeed(tmp_path):
    """Each thread has its own connection, as each worker has: with SQLite's default
    (deferred) transactions, a writer that read first cannot wait for the lock and fails
    ("database is locked", a 503); the settings make every one of them wait its turn."""
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", WRITERS], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "20 []"
    journal = subprocess.run(
        [sys.executable, "-c", "import sqlite3, sys; "
         "print(sqlite3.connect(sys.argv[1]).execute('PRAGMA journal_mode').fetchone()[0])",
         str(tmp_path / "db.sqlite3")],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert journal.stdout.strip() == "wal"  # readers never wait for a writer


@pytest.mark.django_db
def test_14_a_feeds_terms_with_line_breaks_make_tags_of_one_line():
    from diary.articles import articles_import
    from diary.models import Tag

    rss = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>M</title><item>'
        b"<title>A story</title><link>https://magazine.example/a/</link>"
        b"<pubDate>Mon, 21 Nov 2022 09:00:00 +0000</pubDate>"
        b"<category>smart&#13;&#10;city\tlife&#0;</category>"
        b"<category>Foodie&#10;guide</category></item></channel></rss>"
    )
    report = articles_import(rss)
    assert report.created == 1, report
    assert sorted(tag.name for tag in Tag.objects.all()) == [
        "Foodie guide",
        "smart city life",
    ]
