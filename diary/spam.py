"""Defences of the public submission form: a honeypot, a minimum fill time, rate limits per
address and per e-mail (in the shared cache, so they hold across app servers), and a limit
on links."""

import re
import time

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from diary.clients import shared_cache as cache

SALT = "diary.submission.started"
LINK = re.compile(r"https?://|www\.", re.IGNORECASE)


def started_token() -> str:
    """Put in the form when it is shown; a bot that posts at once is caught by it."""
    return signing.dumps(time.time(), salt=SALT)


def too_fast(token: str) -> bool:
    try:
        started = signing.loads(token or "", salt=SALT, max_age=24 * 3600)
    except signing.BadSignature:
        return True
    return time.time() - float(started) < settings.DIARY_SUBMIT_MIN_SECONDS


def too_many_links(text: str) -> bool:
    return len(LINK.findall(text or "")) > settings.DIARY_SUBMIT_MAX_LINKS


def over_rate(*, address: str, email: str) -> bool:
    """Count this submission against its address and e-mail; True when over the hourly limit."""
    limit = settings.DIARY_SUBMIT_PER_HOUR
    over = False
    for key in (f"submit:ip:{address}", f"submit:email:{email.lower()}"):
        cache.add(key, 0, timeout=3600)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=3600)
            count = 1
        over = over or count > limit
    return over


def spam_reason(*, honeypot: str, started: str, description: str) -> str:
    """Why a submission looks like spam, or "" when it does not."""
    if honeypot:
        return _("This form could not be sent.")
    if too_fast(started):
        return _("That was quick! Please check the form and send it again.")
    if too_many_links(description):
        return _("The description has too many links; keep at most %(count)s.") % {
            "count": settings.DIARY_SUBMIT_MAX_LINKS
        }
    return ""
