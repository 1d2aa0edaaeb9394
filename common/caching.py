"""Which views' answers the public response cache (diary.cache) may share."""


def cacheable(view):
    """Mark the view's successful answers to anonymous requests as shareable (one answer can
    still refuse: `response.cacheable = False`)."""
    view.cacheable = True
    return view
