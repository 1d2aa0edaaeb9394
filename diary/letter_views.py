"""The weekly letter's pages: ask, confirm, change or stop (the rules are in diary.letters)."""

from django.core import signing
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt

from diary import letters
from diary.clients import client_address
from diary.models import Weekday


# The subscribe page that holds this form is a shared, cached page: it carries no CSRF token.
# Nothing here needs one: the request only ever mails a link to the address typed.
@csrf_exempt
def letter_subscribe(request):
    if request.method != "POST":  # the form lives on the subscribe page
        return redirect("diary:subscribe")
    form = letters.LetterForm(request.POST)
    if letters.letter_rate_spent(address=client_address(request)):
        return render(request, "diary/letter_sent.html", {"form": form, "busy": True}, status=429)
    if not form.is_valid():
        return render(request, "diary/letter_sent.html", {"form": form}, status=400)
    letters.letter_request(
        email=form.cleaned_data["email"],
        query=form.cleaned_data["query"],
        weekday=form.cleaned_data["weekday"],
        language=translation.get_language(),
    )
    # The same answer whether the address is subscribed already or not.
    return render(
        request, "diary/letter_sent.html", {"form": form, "email": form.cleaned_data["email"]}
    )


def letter_confirm(request, token: str):
    """A confirmation link: a page with one button (mail scanners follow links; only a
    person presses it), which creates the letter."""
    try:
        asked = letters.confirmation(token)
        subscription = letters.letter_confirm(asked=asked) if request.method == "POST" else None
    except letters.StoppedSince:
        return render(request, "diary/letter_invalid.html", {"stopped": True}, status=400)
    except signing.BadSignature:
        return render(request, "diary/letter_invalid.html", status=400)
    if subscription is not None:
        return redirect(
            reverse("diary:letter-manage", args=[letters.letter_token(subscription)])
            + "?confirmed=1"
        )
    context = {
        "asked": asked,
        "selection": letters.describe_query(asked.query),
        "day": Weekday(asked.weekday).label,
    }
    return render(request, "diary/letter_confirm.html", context)


def letter_manage(request, token: str):
    subscription = letters.subscription_for_token(token)
    if subscription is None:
        return render(request, "diary/letter_invalid.html", {"gone": True}, status=404)
    form = letters.WeekdayForm(request.POST or None, initial={"weekday": subscription.weekday})
    if request.method == "POST":
        if "stop" in request.POST:
            letters.letter_stop(subscription=subscription)
            return render(request, "diary/letter_stopped.html")
        if form.is_valid():
            letters.letter_change(subscription=subscription, weekday=form.cleaned_data["weekday"])
            return redirect(request.path + "?changed=1")
    context = {
        "subscription": subscription,
        "selection": letters.describe_query(subscription.query),
        "form": form,
        "agenda_query": subscription.query,
        "confirmed": "confirmed" in request.GET,
        "changed": "changed" in request.GET,
    }
    return render(request, "diary/letter_manage.html", context)


@csrf_exempt  # RFC 8058: the mail client POSTs `List-Unsubscribe=One-Click`, with no cookie
def letter_unsubscribe(request, token: str):
    if request.method != "POST":
        return redirect("diary:letter-manage", token=token)
    subscription = letters.subscription_for_token(token)
    if subscription is not None:
        letters.letter_stop(subscription=subscription)
    return render(request, "diary/letter_stopped.html")
