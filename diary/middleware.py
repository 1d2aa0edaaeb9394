import logging
from urllib.parse import unquote_plus

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

from common.http import is_api
from diary.text import CONTROL

logger = logging.getLogger(__name__)


class RejectControlCharactersMiddleware:
    """A control character (NUL, a line break, an escape…) in the path or query string is a
    400 for every door.

    No agenda question needs one, and each would do harm further in: PostgreSQL refuses NUL in
    text (a server error), a line break or carriage return in `q` would reach a feed's
    calendar name, an escape sequence the logs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = unquote_plus(request.META.get("QUERY_STRING", ""), errors="replace")
        if CONTROL.search(request.path) or CONTROL.search(query):
            message = _("The address contains a control character; remove it and try again.")
            if is_api(request):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A database that is down or restarting answers 503 with Retry-After, not a 500.

    Django drops the broken connection when the request ends and opens a new one for the next
    (CONN_HEALTH_CHECKS), so the app recovers by itself when the database is back.
    """

    RETRY_AFTER = "10"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("Database unavailable: %s", exception)
        message = _("The agenda is briefly unavailable. Please try again in a few seconds.")
        if is_api(request):
            response = JsonResponse({"detail": message}, status=503)
        else:
            response = HttpResponse(
                f"<!doctype html><title>{escape(message)}</title><p>{escape(message)}</p>",
                status=503,
            )
        response["Retry-After"] = self.RETRY_AFTER
        return response
