"""What every door knows of a request's address: where the API lives (its JSON errors, its
language parameter, its journal door are decided by it)."""

API_PREFIX = "/api/"


def is_api(request) -> bool:
    """Whether `request` is the API's (it answers in JSON, errors included)."""
    return request.path_info.startswith(API_PREFIX)
