"""The weekly letter: double opt-in, one letter a week whatever happens, one-click stop."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from diary import letters
from diary.models import Event, LetterSend, LetterSubscription
from tests.factories import CategoryFactory, EventFactory, VenueFactory, local

pytestmark = pytest.mark.django_db

THURSDAY = datetime(2026, 12, 3, 7, tzinfo=UTC)  # 08:00 in Brussels


@pytest.fixture(autouse=True)
def _thursday(time_machine):
    time_machine.move_to(THURSDAY, tick=False)


def ask(client, email="reader@example.org", query="category=music", weekday=3, **headers):
    return client.post(
        "/letter/", {"email": email, "query": query, "weekday": weekday}, headers=headers
    )


def link_in(message) -> str:
    return re.search(r"https?://\S+/letter/confirm/\S+/", message.body).group(0)


def confirm(client, url: str):
    path = url.split("8000", 1)[1]
    assert client.get(path).status_code == 200  # a page with a button: scanners only look
    return client.post(path)


def subscriber(email="reader@example.org", query="category=music", weekday=3, language="en"):
    return LetterSubscription.objects.create(
        email=email, query=query, weekday=weekday, language=language, confirmed=THURSDAY
    )


def test_asking_stores_nothing_and_mails_a_confirmation_link(client, mailoutbox):
    CategoryFactory(slug="music", name="Music")
    response = ask(client, query="category=music&when=week&page=2")
    assert response.status_code == 200
    assert "Check your mailbox" in response.content.decode()
    assert not LetterSubscription.objects.exists()
    [message] = mailoutbox
    assert message.to == ["reader@example.org"]
    assert "Music" in message.body
    url = link_in(message)
    assert LetterSubscription.objects.count() == 0
    confirmed = confirm(client, url)
    assert confirmed.status_code == 302
    subscription = LetterSubscription.objects.get()
    # The address, the selection (without a window), the language, the day: nothing else.
    assert (
        subscription.email,
        subscription.query,
        subscription.language,
        subscription.weekday,
    ) == (
        "reader@example.org",
        "category=music",
        "en",
        3,
    )
    page = client.get(confirmed["Location"])
    assert "Confirmed" in page.content.decode()


def test_a_confirmation_link_expires_and_cannot_be_forged(client, mailoutbox, time_machine):
    CategoryFactory(slug="music", name="Music")
    ask(client)
    url = link_in(mailoutbox[0])
    path = url.split("8000", 1)[1]
    assert client.post(path.replace("/confirm/", "/confirm/x")).status_code == 400
    time_machine.move_to(THURSDAY + timedelta(days=4), tick=False)
    assert client.post(path).status_code == 400
    assert not LetterSubscription.objects.exists()


def test_the_answer_is_the_same_for_a_known_and_an_unknown_address(client, mailoutbox):
    CategoryFactory(slug="music", name="Music")
    subscriber(email="known@example.org")
    known = ask(client, email="known@example.org").content.decode()
    unknown = ask(client, email="unknown@example.org").content.decode()
    assert known.replace("known@", "") == unknown.replace("unknown@", "")


def test_one_address_gets_few_confirmation_mails_and_a_client_few_requests(
    client, mailoutbox, settings
):
    CategoryFactory(slug="music", name="Music")
    for _ in range(6):
        assert ask(client, email="target@example.org").status_code == 200
    assert len(mailoutbox) == 3  # the rest silently: the answer must not tell
    settings.DIARY_LETTER_REQUESTS_PER_HOUR = 6
    assert ask(client, email="other@example.org").status_code == 429
    # Behind the proxy, each client counts apart (NUM_PROXIES=0 here: REMOTE_ADDR).


def test_a_bad_form_keeps_what_was_typed(client):
    response = ask(client, email="not-an-address", query="category=nope")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="not-an-address"' in html
    assert "nope" in html


def test_send_digests_mails_the_next_seven_days_in_the_city_time_zone(mailoutbox, settings):
    music = CategoryFactory(slug="music", name="Music")
    flagey = VenueFactory(name="Flagey")
    EventFactory(title="Jazz at Flagey", category=music, venue=flagey, start=local(2026, 12, 4, 20))
    EventFactory(title="After the week", category=music, start=local(2026, 12, 11, 20))
    EventFactory(
        title="Film night",
        category=CategoryFactory(slug="film", name="Film"),
        start=local(2026, 12, 4, 20),
    )
    subscription = subscriber()
    call_command("send_digests")
    [message] = mailoutbox
    assert message.to == ["reader@example.org"]
    assert "Jazz at Flagey" in message.body and "Flagey" in message.body
    assert "Film night" not in message.body and "After the week" not in message.body
    assert "20:00" in message.body  # Brussels time, not UTC (19:00)
    assert "FRIDAY 4 DECEMBER" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Jazz at Flagey" in html and "20:00" in html
    # RFC 8058: one click from the mail client.
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe == f"<{letters.unsubscribe_url(subscription)}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "1 event" in message.subject


def test_an_empty_week_is_skipped_and_recorded(mailoutbox):
    CategoryFactory(slug="music", name="Music")
    subscriber()
    result = letters.digests_send()
    assert (result.sent, result.empty) == (0, 1)
    assert mailoutbox == []
    assert LetterSend.objects.get().events == 0


def test_not_before_the_subscribers_day_and_late_rather_than_never(mailoutbox, time_machine):
    music = CategoryFactory(slug="music", name="Music")
    EventFactory(category=music, start=local(2026, 12, 6, 20))
    subscriber(weekday=4)  # Friday
    letters.digests_send()
    assert len(mailoutbox) == 0
    time_machine.move_to(THURSDAY + timedelta(days=2), tick=False)  # the timer missed Friday
    letters.digests_send()
    assert len(mailoutbox) == 1


def test_running_twice_sends_each_week_once(mailoutbox):
    music = CategoryFactory(slug="music", name="Music")
    EventFactory(category=music, start=local(2026, 12, 4, 20))
    for n in range(5):
        subscriber(email=f"reader{n}@example.org")
    assert letters.digests_send().sent == 5
    assert letters.digests_send().sent == 0
    call_command("send_digests")
    assert sorted(m.to[0] for m in mailoutbox) == [f"reader{n}@example.org" for n in range(5)]


class Crash(Exception):
    pass


def test_a_crash_in_the_middle_then_a_run_again_sends_everyone_exactly_one_letter(monkeypatch):
    music = CategoryFactory(slug="music", name="Music")
    EventFactory(category=music, start=local(2026, 12, 4, 20))
    for n in range(6):
        subscriber(email=f"reader{n}@example.org")
    mail.outbox = []
    original = letters.letter_message
    built = []

    def crash_on_the_fourth(subscription, *args, **kwargs):
        built.append(subscription.email)
        if len(built) == 4:
            raise Crash  # the process dies while sending the fourth letter
        return original(subscription, *args, **kwargs)

    monkeypatch.setattr(letters, "letter_message", crash_on_the_fourth)
    with pytest.raises(Crash):
        letters.digests_send()
    assert len(mail.outbox) == 3
    assert LetterSend.objects.count() == 3  # the fourth's record rolled back with it
    letters.digests_send()
    letters.digests_send()
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == [f"reader{n}@example.org" for n in range(6)]


def test_a_mail_server_failure_leaves_the_week_to_send_again(monkeypatch):
    music = CategoryFactory(slug="music", name="Music")
    EventFactory(category=music, start=local(2026, 12, 4, 20))
    subscriber()

    class Refusing:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_messages(self, messages):
            raise OSError("connection refused")

    with pytest.raises(OSError):
        letters.digests_send(connection=Refusing())
    assert not LetterSend.objects.exists()


def test_one_smtp_connection_serves_a_batch(monkeypatch):
    music = CategoryFactory(slug="music", name="Music")
    EventFactory(category=music, start=local(2026, 12, 4, 20))
    for n in range(5):
        subscriber(email=f"reader{n}@example.org")
    opened = []
    original = letters.get_connection

    def counting():
        opened.append(1)
        return original()

    monkeypatch.setattr(letters, "get_connection", counting)
    monkeypatch.setattr(letters, "SMTP_BATCH", 2)
    letters.digests_send()
    assert len(opened) == 3


def test_one_click_unsubscribe_from_the_mail_client(client):
    subscription = subscriber()
    url = letters.unsubscribe_url(subscription).split("8000", 1)[1]
    # A mail client POSTs the RFC 8058 body, with no cookie and no CSRF token.
    response = client.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not LetterSubscription.objects.exists()
    # A link scanner's GET changes nothing; it lands on the page with the button.
    again = subscriber()
    assert client.get(letters.unsubscribe_url(again).split("8000", 1)[1]).status_code == 302
    assert LetterSubscription.objects.exists()


def test_the_manage_page_changes_the_day_or_stops(client):
    subscription = subscriber()
    url = letters.letter_url(subscription).split("8000", 1)[1]
    page = client.get(url)
    assert "reader@example.org" in page.content.decode()
    assert client.post(url, {"weekday": 5, "change": ""}).status_code == 302
    subscription.refresh_from_db()
    assert subscription.weekday == 5
    assert "stopped" in client.post(url, {"stop": ""}).content.decode()
    assert not LetterSubscription.objects.exists()
    assert client.get(url).status_code == 404


def test_a_letter_is_in_its_subscribers_language(mailoutbox):
    music = CategoryFactory(slug="music", name="Music", name_fr="Musique")
    EventFactory(category=music, start=local(2026, 12, 4, 20))
    subscriber(language="fr")
    letters.digests_send()
    [message] = mailoutbox
    assert "VENDREDI 4 DÉCEMBRE" in message.body
    assert "/fr/letter/" in message.extra_headers["List-Unsubscribe"]


def test_the_pages_speak_the_subscribers_language(client):
    subscription = subscriber(language="nl")
    html = client.get(letters.letter_url(subscription).split("8000", 1)[1]).content.decode()
    assert "Verzenden op" in html and "donderdag" in html
    assert client.get("/letter/").status_code == 302  # the form lives on the subscribe page


def test_the_letter_lists_what_happens_and_groups_the_runs(mailoutbox):
    """A week of a capital is mostly exhibitions: the letter lists what happens, then names
    the runs closing soonest and links to them all; a week of runs only is still sent."""
    music = CategoryFactory(slug="music", name="Music")
    EventFactory(title="Jazz at Flagey", category=music, start=local(2026, 12, 4, 20))
    EventFactory(
        title="Sound Art", category=music, start=local(2026, 11, 20), end=local(2026, 12, 24),
        all_day=True,
    )  # fmt: skip
    subscriber()
    call_command("send_digests")
    [message] = mailoutbox
    lines = message.body.splitlines()
    assert "Jazz at Flagey" in message.body
    assert lines.index("Also on: 1 exhibition, festival or other run") > next(
        n for n, line in enumerate(lines) if "Jazz at Flagey" in line
    )
    assert "- Sound Art, 20 Nov – 23 Dec" in message.body
    assert "kind=run" in message.body and "kind=run" in message.alternatives[0][0]
    assert LetterSend.objects.get().events == 2
    Event.objects.filter(title_en="Jazz at Flagey").delete()
    LetterSend.objects.all().delete()
    call_command("send_digests")
    assert len(mailoutbox) == 2 and "Sound Art" in mailoutbox[1].body
