"""The organisers' pages: /submit/ (with its preview of the dates) and the private manage
link (change, cancel, reinstate, publish). The image an invalid form would lose travels
signed with it; the form checks, the spam guards refuse, the services write."""

import base64
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.contrib import messages
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.translation import columns, in_language
from diary import duplicates, recurrence, services, spam
from diary.clients import client_address
from diary.forms import SubmissionForm
from diary.images import ImageError, image_delete, image_process
from diary.models import Occurrence
from venues.models import Venue

IMAGE_SALT = "diary.submission.image"
IMAGE_TOKEN_SECONDS = 24 * 3600


def kept_image(request, form) -> bytes | None:
    """This submission's image as re-encoded JPEG bytes: a new upload (checked and
    re-encoded in bounded memory), or the one carried over from an earlier attempt in a
    signed form field. Nothing reaches the disk before an event is saved with it. Errors go
    to the form."""
    upload = request.FILES.get("image")
    if upload:
        try:
            return image_process(upload).read()
        except ImageError as error:
            form.add_error("image", str(error))
            return None
    token = request.POST.get("image_token", "")
    if not token:
        return None
    try:
        signer = signing.TimestampSigner(salt=IMAGE_SALT)
        return base64.b64decode(signer.unsign(token, max_age=IMAGE_TOKEN_SECONDS))
    except (signing.BadSignature, ValueError):
        return None


def preview_dates(form) -> list[Occurrence]:
    """The next dates the form describes, for the live preview (unsaved occurrences, each
    with its start and end); for a form not yet sent, the event's own next dates."""
    if not form.is_bound:
        event = form.instance
        if not event.pk:
            return []
        try:
            instances = event.date_instances(now=timezone.now(), cap=6)
        except recurrence.RecurrenceError:
            return []
        return [Occurrence(start=i.start, end=i.end, all_day=event.all_day) for i in instances]
    data = form.cleaned_data
    start = data.get("start")
    if not start or "repeat" in form.errors:
        return []
    try:
        instances = recurrence.expand(
            start=start,
            end=data.get("end"),
            tz=timezone.get_current_timezone(),
            all_day=bool(data.get("all_day")),
            rule=data.get("rrule", ""),  # written by the form's clean() from the plain words
            rdates=data.get("rdates") or [],
            exdates=data.get("exdates") or [],
            horizon=start + timedelta(days=366),
            now=start,
            cap=6,
        )
    except (recurrence.RecurrenceError, ValueError, TypeError):
        return []
    all_day = bool(data.get("all_day"))
    return [Occurrence(start=i.start, end=i.end, all_day=all_day) for i in instances]


def render_form(
    request,
    form,
    *,
    image: bytes | None,
    event=None,
    vouched: bool = False,
    status: int = 200,
    suspects=(),
):
    """The form again, with everything typed; a carried-over image travels in the page
    (signed), a stored one is shown from the media files."""
    context = {
        "form": form,
        "venues": form.venues,
        "event": event,
        "vouched": vouched,
        "preview": preview_dates(form),
        "suspects": suspects,
        "first_error_id": next(
            (form[name].auto_id for name in form.fields if name in form.errors), ""
        ),
    }
    if image:
        encoded = base64.b64encode(image).decode()
        context["image_token"] = signing.TimestampSigner(salt=IMAGE_SALT).sign(encoded)
        context["kept_image_src"] = f"data:image/jpeg;base64,{encoded}"
    elif event is not None and event.image:
        context["kept_image_src"] = event.image.url
    return render(request, "diary/submit.html", context, status=status)


@require_http_methods(["GET", "POST"])
def submit(request):
    venues = Venue.objects.only("pk", *columns("name")).order_by(in_language("name"))
    if request.method == "GET":
        form = SubmissionForm(venues=venues, initial={"started": spam.started_token()})
        return render_form(request, form, image=None)

    form = SubmissionForm(request.POST, venues=venues)
    valid = form.is_valid()
    # Cheap refusals first: nothing uploaded is opened for a bot or over the limit.
    address = client_address(request)
    reason = spam.bot_reason(
        honeypot=request.POST.get("website_url", ""), started=request.POST.get("started", "")
    )
    if not reason and spam.rate_spent(address=address):
        reason = _("You have sent many events in the last hour; please try again later.")
    if not reason and request.FILES.get("image") and spam.over_upload_rate(address=address):
        reason = _("You have sent many images in the last hour; please try again later.")
    if reason:
        form.add_error(None, reason)
        return render_form(request, form, image=None, status=400)

    image = kept_image(request, form)
    if not valid or form.errors:
        return render_form(request, form, image=image, status=400)
    # Is it listed already? Asked once the date and the place are known: shown with the
    # preview, and before sending unless the organiser says it is none of them.
    suspects = [
        other for other in duplicates.likely_duplicates(form.instance) if other.is_published
    ]
    if "preview" in request.POST or (suspects and not request.POST.get("not_duplicate")):
        return render_form(request, form, image=image, suspects=suspects)
    reason = spam.links_reason(form.typed_texts())  # as typed, not linked
    if not reason and spam.over_rate(address=address, email=form.cleaned_data["organiser_email"]):
        reason = _("You have sent many events in the last hour; please try again later.")
    if not reason and not spam.token_spend(form.cleaned_data["started"]):
        reason = _("This form was sent already. Open the form again to send another event.")
    if reason:
        form.add_error(None, reason)
        return render_form(request, form, image=image, status=400)

    event = form.save(commit=False)  # in the language the organiser chose (the page's first)
    organiser = services.organiser_for_submission(
        name=form.cleaned_data["organiser_name"], email=form.cleaned_data["organiser_email"]
    )
    with stored_image(image) as name:
        event.image.name = name
        event = services.event_submit(
            event=event,
            organiser=organiser,
            proven=False,  # a typed address proves nothing: the mailed link does
            tags=form.cleaned_data["tags"],
            languages=form.cleaned_data["languages"],
        )
    messages.success(
        request,
        _(
            "Thank you! An editor will look at your event before it appears. We sent a private "
            "link to %(email)s; this page is a private link too: keep it (bookmark it) to "
            "change or cancel your event."
        )
        % {"email": organiser.email},
    )
    return redirect("diary:submission-manage", services.manage_token(event, proven=False))


@contextmanager
def stored_image(image: bytes | None) -> Iterator[str]:
    """The re-encoded image (our own JPEG, already checked) written for the event being
    saved; removed again if saving fails, so no file outlives the event it was sent with."""
    name = ""
    if image:
        name = default_storage.save(f"events/submitted/{uuid.uuid4().hex}.jpg", ContentFile(image))
    try:
        yield name
    except BaseException:
        if name:
            image_delete(name)  # and the sizes the failed save may have made
        raise


def submission_preview(request):
    """The live preview of the dates (htmx swaps it in while the form is filled)."""
    if spam.over_preview_rate(address=client_address(request)):
        message = _("Too many date previews from your address this hour; the form still sends.")
        return HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    form = SubmissionForm(request.GET, venues=[])
    form.is_valid()
    return render(request, "diary/_submission_preview.html", {"preview": preview_dates(form)})


def status_changed(request, event, *, cancelled: bool) -> bool:
    """Cancel or reinstate through the link; False, with a message, when the event's changes
    for the hour are spent."""
    try:
        services.event_status_by_link(event=event, cancelled=cancelled)
    except services.StatusChangesSpent:
        messages.error(
            request,
            _("This event was cancelled or put back on too often this hour; try again later."),
        )
        return False
    return True


@require_http_methods(["GET", "POST"])
def manage(request, token: str):
    """The organiser's private page: state, edit, cancel. No account: the signed link is
    the key, and it expires. Only a link mailed to the organiser carries its trust."""
    try:
        access = services.event_for_token(token)
    except signing.BadSignature:
        return render(request, "diary/manage_invalid.html", status=404)
    event = access.event
    venues = Venue.objects.only("pk", *columns("name")).order_by(in_language("name"))
    organiser = event.organiser
    # Who the organiser is shows only to a link mailed to it: a typed address proves nothing.
    initial = (
        {"organiser_name": organiser.name, "organiser_email": organiser.email}
        if organiser and access.proven
        else {}
    )
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "cancel" and request.POST.get("confirmed") != "yes":
        return render(request, "diary/manage_cancel.html", {"event": event})
    if action == "cancel":
        if not status_changed(request, event, cancelled=True):
            return redirect("diary:submission-manage", token)
        if event.is_published:
            messages.success(
                request, _("The event is cancelled; the agenda and calendars show it.")
            )
        else:
            messages.success(request, _("The event is cancelled."))
        return redirect("diary:submission-manage", token)
    if action == "reinstate":
        if status_changed(request, event, cancelled=False):
            messages.success(request, _("The event is on again."))
        return redirect("diary:submission-manage", token)
    if action == "publish":
        try:
            services.event_confirm(access=access)
        except PermissionError:
            messages.error(
                request, _("Only the link we e-mailed to a trusted organiser publishes.")
            )
        except services.CalledOff:
            messages.error(request, _("The event is cancelled: reinstate it first."))
        else:
            messages.success(request, _("The event is published."))
        return redirect("diary:submission-manage", token)
    vouched = services.organiser_vouches(organiser, proven=access.proven)
    if request.method == "POST":
        form = SubmissionForm(request.POST, instance=event, venues=venues, initial=initial)
        valid = form.is_valid()
        if request.FILES.get("image") and spam.over_upload_rate(address=client_address(request)):
            form.add_error("image", _("You have sent many images in the last hour."))
            return render_form(request, form, image=None, event=event, vouched=vouched, status=400)
        image = kept_image(request, form)
        if valid and not form.errors and "preview" not in request.POST:
            event = form.save(commit=False)
            replaced = event.image.name if image else ""
            with stored_image(image) as name:
                event.image.name = name or event.image.name
                event = services.event_resubmit(
                    event=event,
                    proven=access.proven,
                    tags=form.cleaned_data["tags"],
                    languages=form.cleaned_data["languages"],
                )
            if replaced and event.image.name != replaced:
                image_delete(replaced)  # no event shows it any more
            messages.success(request, _("Your changes are saved."))  # the page says if they wait
            return redirect("diary:submission-manage", token)
        return render_form(request, form, image=image, event=event, vouched=vouched, status=400)
    # The organiser sees and edits what it proposed last; the agenda keeps the published one.
    form = SubmissionForm(instance=event.with_pending_change(), venues=venues, initial=initial)
    return render_form(request, form, image=None, event=event, vouched=vouched)
