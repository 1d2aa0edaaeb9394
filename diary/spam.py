"""Defences of the public submission form, cheapest first: a honeypot, a minimum fill time
with a single-use token, rate limits per address (uploads, submissions and date previews)
and per e-mail, and a limit on links. Counters and used tokens live in the shared cache
(diary.clients), so they hold across workers and app servers."""

import hashlib
import re
import time

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from diary.clients import shared_cache as cache
from diary.clients import window_count, window_counted

SALT = "diary.submission.started"
LINK = re.compile(r"https?://|www\.", re.IGNORECASE)
TOKEN_SECONDS = 24 * 3600
# Images an address may send per hour, per submission it may make: enough to correct a form
# a few times, not enough to make the image decoder a free service.
UPLOADS_PER_SUBMISSION = 4


def started_token() -> str:
    """Put in the form when it is shown; a bot that posts at once is caught by it."""
    return signing.dumps(time.time(), salt=SALT)


def too_fast(token: str) -> bool:
    try:
        started = signing.loads(token or "", salt=SALT, max_age=TOKEN_SECONDS)
    except signing.BadSignature:
        return True
    return time.time() - float(started) < settings.DIARY_SUBMIT_MIN_SECONDS


def _used_key(token: str) -> str:
    return "submit:used:" + hashlib.sha256(token.encode()).hexdigest()


def token_spend(token: str) -> bool:
    """Mark a form's token used by a saved submission; False when it was used already (one
    form, one event: a bot cannot replay one token for a day)."""
    return cache.add(_used_key(token), 1, timeout=TOKEN_SECONDS)


def too_many_links(text: str) -> bool:
    return len(LINK.findall(text or "")) > settings.DIARY_SUBMIT_MAX_LINKS


def count_this_hour(key: str) -> int:
    """Count one more against `key` for the hour from its first hit; the count so far."""
    return window_count(key, seconds=3600).count


def _address_key(address: str) -> str:
    return f"submit:ip:{address}"


def over_rate(*, address: str, email: str) -> bool:
    """Count this submission against its address and e-mail; True when over the hourly limit."""
    limit = settings.DIARY_SUBMIT_PER_HOUR
    counts = [
        count_this_hour(_address_key(address)),
        count_this_hour(f"submit:email:{email.lower()}"),
    ]
    return max(counts) > limit


def rate_spent(*, address: str) -> bool:
    """Whether this address has used up its submissions for the hour (counts nothing): asked
    before an upload is opened, so a flood is refused at the cost of one cache read."""
    return window_counted(_address_key(address)) >= settings.DIARY_SUBMIT_PER_HOUR


def over_upload_rate(*, address: str) -> bool:
    """Count an upload against its address; True when over the hourly limit. Asked before
    the image is opened."""
    limit = settings.DIARY_SUBMIT_PER_HOUR * UPLOADS_PER_SUBMISSION
    return count_this_hour(f"submit:uploads:{address}") > limit


def over_preview_rate(*, address: str) -> bool:
    """Count a live preview of the dates against its address; True when over the hourly
    limit. Each one expands a rule (a fifth of a second at worst) for anyone, form or not."""
    return count_this_hour(f"preview:ip:{address}") > settings.DIARY_PREVIEW_PER_HOUR


def bot_reason(*, honeypot: str, started: str) -> str:
    """Why a post looks like a bot's, from two raw fields: asked before anything costly."""
    if honeypot:
        return _("This form could not be sent.")
    if too_fast(started):
        return _("That was quick! Please check the form and send it again.")
    if cache.get(_used_key(started)):
        return _("This form was sent already. Open the form again to send another event.")
    return ""


def links_reason(description: str) -> str:
    if too_many_links(description):
        return _("The description has too many links; keep at most %(count)s.") % {
            "count": settings.DIARY_SUBMIT_MAX_LINKS
        }
    return ""
