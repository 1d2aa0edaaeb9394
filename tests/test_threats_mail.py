"""Findings 6, 8, 11, 13 and 14 (mail subjects, stopped letters, EMAIL_FILE_PATH) of issue 29
(docs/security.md), as the attacker tried them, refused."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from diary import letters, services
from diary.models import Event, LetterStop, LetterSubscription
from tests.factories import (
    CategoryFactory,
    EventFactory,
    OrganiserFactory,
    VenueFactory,
    form_data,
    local,
)
from tests.test_settings import load_settings
from tests.test_threats import _jpeg, _media_files

pytestmark = pytest.mark.django_db

THURSDAY = datetime(2026, 12, 3, 7, tzinfo=UTC)  # 08:00 in Brussels
PHISHING = "q=URGENT: your bank account is locked, log in at https://evil.example/login"
MARKUP = 'q=<a href="https://evil.example/login">Log in to keep your letter</a>'


@pytest.fixture
def thursday(time_machine):
    time_machine.move_to(THURSDAY, tick=False)
    return time_machine


def ask(client, *, query="", email="victim@example.org"):
    return client.post("/letter/", {"email": email, "query": query, "weekday": 3})


def confirmation_path(message) -> str:
    url = re.search(r"https?://\S+/letter/confirm/\S+/", message.body).group(0)
    return url.split("8000", 1)[1]


def links_in(text: str) -> list[str]:
    """Everything a mail client would make a link of."""
    return re.findall(r"(?:https?:|www\.|href=)\S+", text)


# 6. The letter mailed a stranger's text and links from the magazine's address


@pytest.mark.parametrize("query", [PHISHING, MARKUP])
def test_a_letter_asked_for_a_stranger_mails_no_text_or_link_the_requester_typed(
    client, mailoutbox, thursday, query
):
    EventFactory(
        title="Urgent: your bank account is locked, log in at the theatre now",
        start=local(2026, 12, 4, 20),
    )
    EventFactory(title="Log in to keep your letter: a play", start=local(2026, 12, 4, 21))
    assert ask(client, query=query).status_code == 200
    [message] = mailoutbox
    assert "evil.example" not in message.body and "URGENT" not in message.body
    assert "a search" in message.body  # the selection, in words that are ours
    assert all(link.startswith(django_settings.SITE_URL) for link in links_in(message.body))
    # Had the victim confirmed, its pages and letters still hold no link of the requester's.
    path = confirmation_path(message)
    assert "evil.example" not in client.get(path).content.decode()
    assert client.post(path).status_code == 302
    subscription = LetterSubscription.objects.get()
    assert "evil" not in subscription.query and "<" not in subscription.query
    manage = letters.letter_url(subscription).split("8000", 1)[1]
    assert "evil.example" not in client.get(manage).content.decode()
    letters.digests_send()
    letter = mailoutbox[1]
    html, _mimetype = letter.alternatives[0]
    for text in (letter.subject, letter.body, html):
        assert "evil.example" not in text and "evil%2Eexample" not in text
        assert "<a href" not in text.replace(f'<a href="{django_settings.SITE_URL}', "")
        assert all(
            link.removeprefix('href="').startswith(django_settings.SITE_URL)
            for link in links_in(text)
        )


def test_the_search_words_a_letter_keeps_are_words_only():
    assert letters.search_words("Jazz at Tour & Taxis") == "Jazz at Tour & Taxis"
    assert letters.search_words("l'été indien") == "l'été indien"
    for typed in (
        "https://evil.example/login",
        "www.evil.example",
        "evil.example",
        "write to a@evil.example",
        '<a href="https://evil.example">x</a>',
        "evil．example",
    ):
        kept = letters.search_words(typed)
        assert "evil.example" not in kept and "://" not in kept and "<" not in kept, typed
    assert len(letters.search_words("word " * 100)) <= letters.SEARCH_CHARS


# 8. A merge mailed the dropped organiser the other organiser's unpublished event


def test_merging_two_pending_events_names_neither_to_the_other_organiser(mailoutbox):
    flagey = VenueFactory(name="Flagey")
    pending = {"venue": flagey, "start": local(2026, 12, 5, 20)}
    kept = EventFactory(
        title="Unannounced gala of Trusted Venue",
        organiser=OrganiserFactory(name="Trusted Venue"),
        publication_state=Event.PublicationState.PENDING,
        **pending,
    )
    dropped = EventFactory(
        title="Gala night",
        organiser=OrganiserFactory(email="stranger@example.org"),
        publication_state=Event.PublicationState.PENDING,
        **pending,
    )
    Event.objects.filter(pk=dropped.pk).update(duplicate_of=kept)
    dropped.refresh_from_db()
    assert services.duplicate_merge(event=dropped) == kept
    [message] = mailoutbox
    assert message.to == ["stranger@example.org"]
    dropped.refresh_from_db()
    for text in (message.subject, message.body, dropped.rejection_reason):
        assert "Unannounced gala" not in text and kept.slug not in text
        assert "Trusted Venue" not in text
    assert "duplicate of another event" in dropped.rejection_reason


def test_a_merge_names_the_event_that_stays_once_it_is_published(mailoutbox):
    flagey = VenueFactory(name="Flagey")
    kept = EventFactory(title="Jazz night", venue=flagey, start=local(2026, 12, 5, 20))
    dropped = EventFactory(
        title="Jazz night at Flagey",
        venue=flagey,
        start=local(2026, 12, 5, 20),
        organiser=OrganiserFactory(),
        publication_state=Event.PublicationState.PENDING,
    )
    Event.objects.filter(pk=dropped.pk).update(duplicate_of=kept)
    dropped.refresh_from_db()
    services.duplicate_merge(event=dropped)
    [message] = mailoutbox
    assert "“Jazz night”" in message.body and kept.get_absolute_url() in message.body


# 11. The manage link handed to whoever typed an address showed its organiser's name


def test_a_form_sent_with_someones_address_does_not_show_their_name(client):
    OrganiserFactory(name="Trusted Venue", email="venue@example.org", is_trusted=True)
    response = client.post(
        "/submit/", form_data(organiser_name="Evil", organiser_email="venue@example.org")
    )
    assert response.status_code == 302
    manage = response["Location"]
    html = client.get(manage).content.decode()
    assert "Trusted Venue" not in html
    assert 'name="organiser_name" value=""' in html
    assert 'name="organiser_email" value=""' in html
    # The link still edits (moderated), without the organiser's name or address.
    data = {**form_data(title="Gala (new room)"), "organiser_name": "", "organiser_email": ""}
    assert client.post(manage, data).status_code == 302
    event = Event.objects.get()
    assert event.title == "Gala (new room)" and event.organiser.name == "Trusted Venue"
    # The link mailed to the organiser shows who it is.
    proven = client.get(f"/submit/manage/{services.manage_token(event)}/").content.decode()
    assert 'name="organiser_name" value="Trusted Venue"' in proven


def test_a_link_to_a_deleted_event_never_opens_the_event_given_its_uid_later(client, time_machine):
    """A UID is free again once its event is deleted, and an import takes its source's UID
    when it is free: a proven link mailed for a spam event that squatted a venue's next UID
    opened the venue's real event, its address, and cancelled it."""
    time_machine.move_to(timezone.now(), tick=False)
    uid = "event-1235@venue.example"
    squatter = EventFactory(uid=uid, organiser=OrganiserFactory(email="mallory@example.org"))
    link = f"/submit/manage/{services.manage_token(squatter)}/"
    squatter.delete()
    time_machine.shift(timedelta(hours=1))
    venue = OrganiserFactory(name="The Venue", email="boss@venue.example", is_trusted=True)
    real = EventFactory(uid=uid, organiser=venue)
    response = client.get(link)
    assert response.status_code == 404
    assert b"boss@venue.example" not in response.content
    client.post(link, {"action": "cancel", "confirmed": "yes"})
    real.refresh_from_db()
    assert real.status == Event.Status.SCHEDULED
    # Its own links, made after it, open it, even in the second it was created, and even
    # from a server whose clock is a little behind the one that saved it.
    assert client.get(f"/submit/manage/{services.manage_token(real)}/").status_code == 200
    time_machine.shift(-timedelta(minutes=4))
    behind = services.manage_token(real)
    time_machine.shift(timedelta(minutes=4))
    assert client.get(f"/submit/manage/{behind}/").status_code == 200


# 13. Every image proposed through the manage link stayed on disk


def published_with_image(client) -> tuple[Event, str, Path]:
    """A published event with an image, and the manage link handed to whoever sent it (its
    edits wait for an editor)."""
    response = client.post("/submit/", {**form_data(), "image": _jpeg((900, 600))})
    event = services.event_publish(event=Event.objects.get())
    return event, response["Location"], Path(event.image.path)


def edit_with_images(client, manage: str, times: int) -> None:
    for number in range(times):
        title = f"Repair Café, take {number}"
        response = client.post(manage, {**form_data(title=title), "image": _jpeg((800, 600))})
        assert response.status_code == 302


def test_of_four_proposed_images_only_the_last_stays_and_approval_keeps_only_it(
    client, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event, manage, published = published_with_image(client)
        edit_with_images(client, manage, 4)
    event.refresh_from_db()
    proposed = event.pending_change["fields"]["image"]
    assert sorted(_media_files(settings)) == sorted(
        [published, Path(settings.MEDIA_ROOT, proposed)]
    )
    with django_capture_on_commit_callbacks(execute=True):
        event = services.event_publish(event=event)  # the editor approves the change
    assert event.image.name == proposed and event.pending_change is None
    assert _media_files(settings) == [Path(settings.MEDIA_ROOT, proposed)]
    sized = {path.parent.name for path in _media_files(settings, "CACHE")}
    assert sized == {Path(proposed).stem}


def test_a_rejected_change_leaves_none_of_its_images(
    client, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event, manage, published = published_with_image(client)
        edit_with_images(client, manage, 2)
        services.event_reject(event=Event.objects.get(pk=event.pk), reason="Not this picture")
    event.refresh_from_db()
    assert event.pending_change is None and Path(event.image.path) == published
    assert _media_files(settings) == [published]


def test_an_edit_through_the_mailed_link_drops_the_proposed_image_too(
    client, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event, manage, published = published_with_image(client)
        edit_with_images(client, manage, 1)
    event.refresh_from_db()
    event.organiser.is_trusted = True
    event.organiser.save()
    with django_capture_on_commit_callbacks(execute=True):
        mailed = f"/submit/manage/{services.manage_token(event)}/"
        assert client.post(mailed, form_data(title="Repair Café (trusted)")).status_code == 302
    event.refresh_from_db()
    assert event.pending_change is None and event.title == "Repair Café (trusted)"
    assert _media_files(settings) == [published]


# 14. Escaped subjects, a stopped letter started again, mail lost with the file backend


def test_mail_subjects_are_plain_text(client, mailoutbox, thursday):
    client.post("/submit/", form_data(title="Repair Café at Tour & Taxis <3"))
    [received] = mailoutbox
    assert received.subject == "We received “Repair Café at Tour & Taxis <3”"
    venue = VenueFactory(name="Tour & Taxis", slug="tour-taxis")
    EventFactory(title="Market", venue=venue, start=local(2026, 12, 4, 10))
    LetterSubscription.objects.create(
        email="reader@example.org", query="venue=tour-taxis", language="en", confirmed=THURSDAY
    )
    letters.digests_send()
    letter = mailoutbox[1]
    assert letter.subject.endswith("· Tour & Taxis"), letter.subject
    assert "&amp;" not in letter.subject and "&lt;" not in received.subject


def test_a_confirmation_link_sent_before_a_letter_was_stopped_does_not_start_it_again(
    client, mailoutbox, thursday
):
    CategoryFactory(slug="music", name="Music")
    ask(client, query="category=music")
    old_link = confirmation_path(mailoutbox[0])
    thursday.move_to(THURSDAY + timedelta(hours=1), tick=False)
    assert client.post(old_link).status_code == 302
    subscription = LetterSubscription.objects.get()
    thursday.move_to(THURSDAY + timedelta(hours=2), tick=False)
    manage = letters.letter_url(subscription).split("8000", 1)[1]
    assert "stopped" in client.post(manage, {"stop": ""}).content.decode()
    thursday.move_to(THURSDAY + timedelta(days=2), tick=False)  # the link is still valid
    for response in (client.get(old_link), client.post(old_link)):
        assert response.status_code == 400
        assert "stopped after this link was sent" in response.content.decode()
    assert not LetterSubscription.objects.exists()
    # A new link starts it again; the one-click stop is remembered the same way.
    ask(client, query="category=music")
    new_link = confirmation_path(mailoutbox[1])
    assert client.post(new_link).status_code == 302
    subscription = LetterSubscription.objects.get()
    thursday.move_to(THURSDAY + timedelta(days=2, hours=1), tick=False)
    unsubscribe = letters.unsubscribe_url(subscription).split("8000", 1)[1]
    client.post(
        unsubscribe, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert client.post(new_link).status_code == 400
    assert not LetterSubscription.objects.exists()
    # What is remembered is forgotten once no link sent before may be followed.
    thursday.move_to(THURSDAY + timedelta(days=6), tick=False)
    ask(client, email="other@example.org", query="category=music")
    client.post(confirmation_path(mailoutbox[2]))
    letters.letter_stop(subscription=LetterSubscription.objects.get())
    assert LetterStop.objects.count() == 1


def test_email_file_path_comes_from_the_environment(tmp_path):
    given = load_settings("s.EMAIL_FILE_PATH", DEBUG="1", EMAIL_FILE_PATH=str(tmp_path))
    assert given.stdout.strip() == str(tmp_path), given.stderr
    default = load_settings("s.EMAIL_FILE_PATH", DEBUG="1", EMAIL_FILE_PATH="")
    assert default.stdout.strip() == str(django_settings.BASE_DIR / "var" / "mail")


def test_with_the_file_backend_a_letter_request_writes_its_mail(
    client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client)
    assert "Check your mailbox" in response.content.decode()
    [written] = (tmp_path / "mail").iterdir()
    assert "victim@example.org" in written.read_text()


def test_send_digests_still_sends_with_the_file_backend(settings, tmp_path, thursday):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    EventFactory(title="Market", start=local(2026, 12, 4, 10))
    LetterSubscription.objects.create(email="reader@example.org", language="en", confirmed=THURSDAY)
    call_command("send_digests")
    [written] = (tmp_path / "mail").iterdir()
    assert "Market" in written.read_text()
