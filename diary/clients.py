"""Who sent a request, and what every worker must count alike.

Rate limits (the API's throttles, the submission form's limits, the admin login's lockout)
key on the client's address; behind the README's nginx that is the last address nginx
appended to X-Forwarded-For, not REMOTE_ADDR (nginx itself). NUM_PROXIES says how many
proxies append to it; with 0 the header is ignored, since anyone can send one.
"""

from django.conf import settings
from django.core.cache import caches
from django.utils.connection import ConnectionProxy

# Counters, used tokens and the data version: one store for all workers (settings.CACHES).
shared_cache = ConnectionProxy(caches, "shared")


def client_address(request) -> str:
    """The client's address as the nearest trusted proxy saw it (DRF's NUM_PROXIES rule)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-min(proxies, len(hops))] if hops else remote
