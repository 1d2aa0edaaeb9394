from urllib.parse import unquote

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _


class RejectNulCharactersMiddleware:
    """A NUL character in the path or query string is a 400 for every door.

    PostgreSQL refuses NUL in text, so without this a `?q=%00` would reach a query and turn
    into a server error; no agenda question ever needs one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "\x00" in unquote(request.META.get("QUERY_STRING", "")):
            message = _("The address contains a NUL character; remove it and try again.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
