"""Who may use the API, and how much of it at once.

Kept apart from `diary.api.views` because DRF's settings import these classes while DRF itself
is loading: this module must not import DRF's views.
"""

import time

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions
from rest_framework.authentication import TokenAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from common.listing import IdsFirstPaginator
from diary.clients import client_address, window_count
from diary.models import ApiToken


class OrganiserPrincipal:
    """Who a valid token speaks for: its organiser (DRF needs a user-like object)."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, organiser):
        self.organiser = organiser
        self.pk = f"organiser:{organiser.pk}"  # throttling counts per organiser

    def __str__(self) -> str:
        return str(self.organiser)


class OrganiserTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>` with a key an editor issued in the admin."""

    model = ApiToken

    def authenticate_credentials(self, key):
        token = ApiToken.objects.select_related("organiser").filter(key=key, is_active=True).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        ApiToken.objects.filter(pk=token.pk).update(last_used=timezone.now())
        return OrganiserPrincipal(token.organiser), token


class IsOrganiserOrReadOnly(permissions.BasePermission):
    """Reads are public (diary.api.schema.AutoSchema says so); writes need an organiser's
    token."""

    message = _("Writing needs an organiser's API token.")

    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or isinstance(request.auth, ApiToken)


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class WideRowsPagination(Pagination):
    """For lists of events and dates: a page's ids first (common.listing)."""

    django_paginator_class = IdsFirstPaginator


class SharedCountsMixin:
    """Counts kept where every worker sees them, per client address as the proxy settings
    say (diary.clients): a forged X-Forwarded-For changes nothing.

    Counted with the one window counter (diary.clients.window_count), not DRF's list of
    times, which each request read and wrote back whole: requests at once all read the same
    list, and 123 to 128 of 130 got through a limit of 120. A window opens at a client's
    first request and lets `num_requests` through until it closes (a refused request
    counts, but never prolongs it)."""

    # Not DRF's key, which held its lists of times: no count meets a list left from before.
    cache_format = "throttle:%(scope)s:%(ident)s"

    def get_ident(self, request) -> str:
        return client_address(request)

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.window = window_count(self.key, seconds=self.duration)
        return self.window.count <= self.num_requests

    def wait(self) -> float:
        return max(self.window.ends - time.time(), 1)


class AnonymousRateThrottle(SharedCountsMixin, AnonRateThrottle):
    pass


class OrganiserRateThrottle(SharedCountsMixin, UserRateThrottle):
    """Counts organisers' requests per organiser. DRF's UserRateThrottle would also count
    anonymous clients by address, holding them to two rates; AnonRateThrottle has them."""

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return super().get_cache_key(request, view)
        return None


class BoundedJSONParser(JSONParser):
    """JSON whose nesting is too deep for Python's parser is a 400, not a RecursionError (a
    500): no event needs more than two levels."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("JSON parse error - nested too deeply.")) from None
