"""The organisers' pages: /submit/ and the private manage link. Thin: the form checks, the
services write."""

from datetime import timedelta

from django.contrib import messages
from django.core import signing
from django.core.files.storage import default_storage
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from diary import recurrence, services, spam
from diary.clients import client_address
from diary.forms import SubmissionForm, plain_words_to_rule
from diary.images import ImageError, image_process
from venues.models import Venue

IMAGE_SALT = "diary.submission.image"


def kept_image(request, form) -> str:
    """The stored name of this submission's image: a new upload (checked and re-encoded),
    or the one kept from an earlier attempt. Errors go to the form."""
    upload = request.FILES.get("image")
    if upload:
        try:
            processed = image_process(upload)
        except ImageError as error:
            form.add_error("image", str(error))
            return ""
        return default_storage.save(f"events/submitted/{processed.name}", processed)
    try:
        return signing.loads(request.POST.get("image_token", ""), salt=IMAGE_SALT)
    except signing.BadSignature:
        return ""


def preview_dates(form) -> list:
    """The next dates the form describes, for the live preview."""
    data = form.cleaned_data
    start = data.get("start")
    if not start:
        return []
    try:
        rule = plain_words_to_rule(data)
        return recurrence.expand(
            start=start,
            end=data.get("end"),
            tz=timezone.get_current_timezone(),
            all_day=bool(data.get("all_day")),
            rule=rule,
            rdates=data.get("rdates") or [],
            exdates=data.get("exdates") or [],
            horizon=start + timedelta(days=366),
            now=start,
            cap=6,
        )
    except (recurrence.RecurrenceError, ValueError, TypeError):
        return []


def render_form(
    request, form, *, image_name: str, event=None, vouched: bool = False, status: int = 200
):
    context = {
        "form": form,
        "venues": form.venues,
        "event": event,
        "vouched": vouched,
        "image_name": image_name,
        "image_token": signing.dumps(image_name, salt=IMAGE_SALT) if image_name else "",
        "preview": preview_dates(form) if form.is_bound else [],
    }
    return render(request, "diary/submit.html", context, status=status)


@require_http_methods(["GET", "POST"])
def submit(request):
    venues = Venue.objects.only("pk", "name").order_by("name")
    if request.method == "GET":
        form = SubmissionForm(venues=venues, initial={"started": spam.started_token()})
        return render_form(request, form, image_name="")

    form = SubmissionForm(request.POST, venues=venues)
    valid = form.is_valid()
    image_name = kept_image(request, form)
    if "preview" in request.POST or not valid or form.errors:
        return render_form(request, form, image_name=image_name, status=400 if form.errors else 200)
    reason = spam.spam_reason(
        honeypot=form.cleaned_data["website_url"],
        started=form.cleaned_data["started"],
        description=form.cleaned_data["description"],
    )
    if not reason and spam.over_rate(
        address=client_address(request), email=form.cleaned_data["organiser_email"]
    ):
        reason = _("You have sent many events in the last hour; please try again later.")
    if reason:
        form.add_error(None, reason)
        return render_form(request, form, image_name=image_name, status=400)

    event = form.save(commit=False)
    if image_name:
        event.image.name = image_name
    organiser = services.organiser_for_submission(
        name=form.cleaned_data["organiser_name"], email=form.cleaned_data["organiser_email"]
    )
    event = services.event_submit(
        event=event,
        organiser=organiser,
        proven=False,  # a typed address proves nothing: the mailed link does
        tags=form.cleaned_data["tags"],
        languages=form.cleaned_data["languages"],
    )
    return redirect("diary:submission-manage", services.manage_token(event, proven=False))


def submission_preview(request):
    """The live preview of the dates (htmx swaps it in while the form is filled)."""
    form = SubmissionForm(request.GET, venues=[])
    form.is_valid()
    return render(request, "diary/_submission_preview.html", {"preview": preview_dates(form)})


@require_http_methods(["GET", "POST"])
def manage(request, token: str):
    """The organiser's private page: state, edit, cancel. No account: the signed link is
    the key, and it expires. Only a link mailed to the organiser carries its trust."""
    try:
        access = services.event_for_token(token)
    except signing.BadSignature:
        return render(request, "diary/manage_invalid.html", status=404)
    event = access.event
    venues = Venue.objects.only("pk", "name").order_by("name")
    organiser = event.organiser
    initial = (
        {"organiser_name": organiser.name, "organiser_email": organiser.email} if organiser else {}
    )
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "cancel":
        services.event_cancel(event=event)
        messages.success(request, _("The event is cancelled; the agenda and calendars show it."))
        return redirect("diary:submission-manage", token)
    if action == "publish":
        try:
            services.event_confirm(access=access)
        except PermissionError:
            messages.error(
                request, _("Only the link we e-mailed to a trusted organiser publishes.")
            )
        else:
            messages.success(request, _("The event is published."))
        return redirect("diary:submission-manage", token)
    vouched = services.organiser_vouches(organiser, proven=access.proven)
    if request.method == "POST":
        form = SubmissionForm(request.POST, instance=event, venues=venues, initial=initial)
        valid = form.is_valid()
        image_name = kept_image(request, form) or event.image.name
        if valid and not form.errors and "preview" not in request.POST:
            event = form.save(commit=False)
            event.image.name = image_name
            services.event_resubmit(
                event=event,
                proven=access.proven,
                tags=form.cleaned_data["tags"],
                languages=form.cleaned_data["languages"],
            )
            messages.success(request, _("Your changes are saved."))
            return redirect("diary:submission-manage", token)
        return render_form(
            request, form, image_name=image_name, event=event, vouched=vouched, status=400
        )
    form = SubmissionForm(instance=event, venues=venues, initial=initial)
    return render_form(request, form, image_name=event.image.name, event=event, vouched=vouched)
