"""The weekly letter: an agenda selection mailed every week to whoever asked for it.

Double opt-in: asking stores nothing and sends one confirmation link (signed, expiring);
following it creates the subscription. `digests_send` (the `send_digests` command, run
daily) mails each subscriber, on their day, the next seven days of their selection; each
week's decision is written in the same transaction as its sending, so a week is mailed
once however often the command runs or wherever it was interrupted. Every letter carries a
one-click unsubscribe link (RFC 8058) and a page to change or stop it.

Nothing here tells whether an address is subscribed: asking answers the same for a known
and an unknown address, and only the mailbox learns more.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django import forms
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection, send_mail
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.listing import group_by_day
from diary import runs, spam
from diary.filters import AgendaFilter, describe, selection
from diary.languages import LANG
from diary.models import LetterSend, LetterStop, LetterSubscription, Occurrence, Weekday
from diary.text import mail_subject

CONFIRM_SALT = "diary.letters.confirm"
LETTER_LINK_SALT = "diary.letters.manage"
STOP_SALT = "diary.letters.stop"
CONFIRM_DAYS = 3
# What a letter lists at most; the rest is one link away.
LETTER_EVENTS = 60
# Letters sent through one SMTP connection.
SMTP_BATCH = 100
# Confirmation mails one address may receive an hour; beyond, silently none.
CONFIRMATIONS_PER_HOUR = 3
# The window is the letter's, not the selection's.
WINDOW_PARAMETERS = ("start", "end", "when", LANG, "month")


def letter_query(query: str) -> str:
    """A selection as the letter keeps it: its parameters with a value, without a window,
    its search words as `search_words` keeps them."""
    params = selection(QueryDict(query), *WINDOW_PARAMETERS)
    words = search_words(params.pop("q", [""])[-1])
    if words:
        params["q"] = words
    return params.urlencode()


# What a letter keeps of the search words (the agenda reads the first 10 words only).
SEARCH_WORDS = 10
SEARCH_CHARS = 60
# A word that a mail client could make a link of: an address, a domain, an e-mail.
LINK_LIKE = re.compile(r"\S*(?:://|www\.|@|\.[^\W\d_]{2,})\S*", re.IGNORECASE)
NOT_WORDLY = re.compile(r"[^\w\s'’&-]")


def search_words(typed: str) -> str:
    """The search words of a letter: words only, never a link. A letter's mails go out from
    the magazine's address, the first of them to an address nobody has proven, so they
    carry no link, markup or long text of the requester's: anything link-like is dropped,
    then every sign but letters, digits, apostrophes, hyphens and ampersands, and what
    stays is cut to SEARCH_WORDS words and SEARCH_CHARS characters."""
    words = NOT_WORDLY.sub(" ", LINK_LIKE.sub(" ", typed)).split()[:SEARCH_WORDS]
    kept = ""
    for word in words:
        if len(kept) + 1 + len(word) > SEARCH_CHARS:
            break
        kept = f"{kept} {word}".strip()
    return kept


def letter_week(query: str, today: date) -> QueryDict:
    """The selection's next seven days from `today`: what a letter lists and links to."""
    params = QueryDict(letter_query(query), mutable=True)
    params["start"], params["end"] = today.isoformat(), (today + timedelta(days=6)).isoformat()
    return params


class WeekdayForm(forms.Form):
    weekday = forms.TypedChoiceField(
        label=_("On"), choices=Weekday.choices, coerce=int, initial=Weekday.THURSDAY
    )


class LetterForm(WeekdayForm):
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)

    def clean_query(self) -> str:
        query = letter_query(self.cleaned_data["query"])
        agenda = AgendaFilter(QueryDict(query), queryset=Occurrence.objects.none())
        if not agenda.is_valid():
            raise forms.ValidationError(agenda.error_messages)
        return query


def _address_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def letter_rate_spent(*, address: str) -> bool:
    """Count a request against the client's address; True when over the hourly limit."""
    return spam.count_this_hour(f"letter:ip:{address}") > settings.DIARY_LETTER_REQUESTS_PER_HOUR


def letter_request(*, email: str, query: str, weekday: int, language: str) -> None:
    """Mail a confirmation link to `email`, whether or not it is subscribed already, at most
    a few times an hour per address (beyond that, silently nothing: the answer must not
    tell). Stores nothing."""
    if spam.count_this_hour(f"letter:email:{_address_hash(email)}") > CONFIRMATIONS_PER_HOUR:
        return
    asked = timezone.now().timestamp()  # a letter stopped after this is not started by it
    token = signing.dumps(
        {"e": email.strip().lower(), "q": query, "d": weekday, "l": language, "t": asked},
        salt=CONFIRM_SALT,
        compress=True,
    )
    with translation.override(language):
        url = settings.SITE_URL + reverse("diary:letter-confirm", args=[token])
        selection = describe_query(query, words=False)  # nothing the requester typed
        context = {"url": url, "days": CONFIRM_DAYS, "selection": selection}
        subject = mail_subject("diary/email/letter_confirm_subject.txt")
        body = render_to_string("diary/email/letter_confirm.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [email]), robust=True)


NEVER = datetime.fromtimestamp(0, UTC)


@dataclass(frozen=True)
class LetterRequest:
    """What a confirmation link asks for: a letter of a selection, to an address, on a day,
    in a language (and when the link was sent)."""

    email: str
    query: str
    weekday: int
    language: str
    sent: datetime = NEVER  # when the link was sent


class StoppedSince(signing.BadSignature):
    """A confirmation link sent before its letter was stopped: it starts nothing again."""


def confirmation(token: str) -> LetterRequest:
    """What a confirmation link asks for; signing.BadSignature (or SignatureExpired) if it
    is not one of ours, or too old, and StoppedSince if the letter was stopped after it was
    sent."""
    data = signing.loads(token, salt=CONFIRM_SALT, max_age=timedelta(days=CONFIRM_DAYS))
    language = (
        data.get("l") if data.get("l") in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    )
    weekday = data.get("d") if data.get("d") in Weekday.values else Weekday.THURSDAY
    sent = data.get("t") if isinstance(data.get("t"), int | float) else 0  # older links: 0
    asked = LetterRequest(
        str(data["e"]),
        letter_query(str(data.get("q", ""))),
        weekday,
        language,
        datetime.fromtimestamp(sent, UTC),
    )
    if _stopped_since(asked):
        raise StoppedSince("this letter was stopped after the link was sent")
    return asked


def _stop_key(email: str, query: str) -> str:
    """A stopped letter as it is remembered: keyed (with SECRET_KEY), so that nobody who
    reads the table can try addresses against it."""
    selection = letter_query(query)  # as a link and a letter both keep it
    value = f"{email.strip().lower()}\n{selection}"
    return salted_hmac(STOP_SALT, value, algorithm="sha256").hexdigest()


def _stopped_since(asked: LetterRequest) -> bool:
    key = _stop_key(asked.email, asked.query)
    return LetterStop.objects.filter(key=key, stopped__gt=asked.sent).exists()


def letter_confirm(*, asked: LetterRequest, now=None) -> LetterSubscription:
    """The confirmed letter: created, or (the same address and selection again) updated;
    StoppedSince if it was stopped after the link was sent (a stopped letter stays
    stopped: only a new link starts it again)."""
    if _stopped_since(asked):
        raise StoppedSince("this letter was stopped after the link was sent")
    subscription, _created = LetterSubscription.objects.update_or_create(
        email=asked.email,
        query=asked.query,
        defaults={"weekday": asked.weekday, "language": asked.language},
        create_defaults={
            "weekday": asked.weekday,
            "language": asked.language,
            "confirmed": now or timezone.now(),
        },
    )
    return subscription


def letter_token(subscription: LetterSubscription) -> str:
    return signing.dumps(subscription.pk, salt=LETTER_LINK_SALT)


def subscription_for_token(token: str) -> LetterSubscription | None:
    try:
        pk = signing.loads(token, salt=LETTER_LINK_SALT)
    except signing.BadSignature:
        return None
    return LetterSubscription.objects.filter(pk=pk).first()


def letter_change(*, subscription: LetterSubscription, weekday: int) -> LetterSubscription:
    subscription.weekday = weekday
    subscription.save(update_fields=["weekday"])
    return subscription


@transaction.atomic
def letter_stop(*, subscription: LetterSubscription, now=None) -> None:
    """Stop a letter, and remember it for as long as a confirmation link sent before lives
    (CONFIRM_DAYS), so that link does not start it again; older stops are forgotten."""
    now = now or timezone.now()
    LetterStop.objects.filter(stopped__lt=now - timedelta(days=CONFIRM_DAYS)).delete()
    LetterStop.objects.create(key=_stop_key(subscription.email, subscription.query), stopped=now)
    subscription.delete()


def _link(subscription: LetterSubscription, view: str) -> str:
    with translation.override(subscription.language):
        return settings.SITE_URL + reverse(view, args=[letter_token(subscription)])


def letter_url(subscription: LetterSubscription) -> str:
    return _link(subscription, "diary:letter-manage")


def unsubscribe_url(subscription: LetterSubscription) -> str:
    """The RFC 8058 one-click address: a POST to it stops the letter."""
    return _link(subscription, "diary:letter-unsubscribe")


def describe_query(query: str, *, words: bool = True) -> str:
    """A letter's selection in words, for its mails and pages, from validated values only:
    names found in the database, fixed words, and the search words as `search_words` keeps
    them, or, with `words=False`, only "a search" (the confirmation mail: it goes to an
    address nobody has proven yet)."""
    agenda = AgendaFilter(QueryDict(letter_query(query)), queryset=Occurrence.objects.none())
    if not agenda.is_valid():
        return ""
    searched = not words and agenda.form.cleaned_data.pop("q", "")  # this copy's only
    return " · ".join(part for part in (describe(agenda), searched and gettext("a search")) if part)


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def letter_occurrences(
    query: str, *, today: date
) -> tuple[list[Occurrence], int, runs.RunsOn | None]:
    """What happens in the selection's next seven days from `today`, at most LETTER_EVENTS,
    how many there are in all, and the runs on that week (exhibitions, festivals: counted,
    the closing soonest named, as the agenda shows them)."""
    agenda = AgendaFilter(
        letter_week(query, today), queryset=Occurrence.objects.public().for_listing()
    )
    if not agenda.is_valid():  # a parameter gone since (a deleted venue): what still applies
        return [], 0, None
    listed = runs.listed(agenda)
    occurrences = list(listed[: LETTER_EVENTS + 1])
    total = len(occurrences) if len(occurrences) <= LETTER_EVENTS else listed.count()
    return occurrences[:LETTER_EVENTS], total, runs.runs_on(agenda, categories=[])


def letter_message(
    subscription: LetterSubscription,
    occurrences: list[Occurrence],
    total: int,
    today: date,
    running: runs.RunsOn | None,
) -> EmailMultiAlternatives:
    with translation.override(subscription.language):
        week = letter_week(subscription.query, today)
        context = {
            "runs": running,
            "runs_url": settings.SITE_URL + reverse("diary:agenda") + "?" + running.query
            if running and running.total
            else "",
            "subscription": subscription,
            "selection": describe_query(subscription.query),
            "days": group_by_day(occurrences, since=today),
            "shown": len(occurrences),
            "total": total,
            "first": today,
            "last": date.fromisoformat(week["end"]),
            "agenda_url": settings.SITE_URL + reverse("diary:agenda") + "?" + week.urlencode(),
            "manage_url": letter_url(subscription),
            "site_url": settings.SITE_URL,
        }
        subject = mail_subject("diary/email/letter_subject.txt", context)
        text = render_to_string("diary/email/letter.txt", context)
        html = render_to_string("diary/email/letter.html", context)
    message = EmailMultiAlternatives(
        subject,
        text,
        to=[subscription.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url(subscription)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"<weekly.{settings.DIARY_UID_DOMAIN}>",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


@dataclass
class DigestResult:
    sent: int = 0
    empty: int = 0
    done_before: int = 0


def digests_send(*, now=None, connection=None) -> DigestResult:
    """Mail this week's letter to every confirmed subscriber whose day has come and who has
    not had it: the next seven days of their selection, or nothing for an empty week.

    Each subscriber's week is decided in one transaction: the record of the decision is
    written and the letter handed to the mail server, or neither (a failure rolls the record
    back and the next run tries again). A second run, even a concurrent one, finds the
    record (or collides with it) and sends nothing. One SMTP connection serves a batch.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    week = week_of(today)
    result = DigestResult()
    due = list(
        LetterSubscription.objects.filter(weekday__lte=today.weekday())
        .exclude(sends__week=week)
        .values_list("pk", flat=True)
    )
    for start in range(0, len(due), SMTP_BATCH):
        smtp = connection or get_connection()
        with smtp:
            for pk in due[start : start + SMTP_BATCH]:
                outcome = _digest_send(pk, week=week, today=today, now=now, smtp=smtp)
                setattr(result, outcome, getattr(result, outcome) + 1)
    return result


def _digest_send(pk: int, *, week: date, today: date, now, smtp) -> str:
    try:
        with transaction.atomic():
            subscription = (
                LetterSubscription.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            )
            if subscription is None or subscription.sends.filter(week=week).exists():
                return "done_before"  # stopped meanwhile, or another run has it
            occurrences, total, running = letter_occurrences(subscription.query, today=today)
            on = total + (running.total if running else 0)
            LetterSend.objects.create(subscription=subscription, week=week, events=on, sent=now)
            if not on:
                return "empty"
            smtp.send_messages([letter_message(subscription, occurrences, total, today, running)])
            return "sent"
    except IntegrityError:  # a concurrent run recorded this week first
        return "done_before"
