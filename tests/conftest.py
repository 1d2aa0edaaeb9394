import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci",
    deadline=None,
    max_examples=100,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture(scope="session", autouse=True)
def _own_shared_cache(tmp_path_factory):
    """Each test run keeps its rate counters and data version in a folder of its own: two
    runs at once (SQLite and PostgreSQL, say) would otherwise share var/cache and see each
    other's writes."""
    from django.conf import settings as django_settings
    from django.test import override_settings

    shared = django_settings.CACHES["shared"]
    if not shared["BACKEND"].endswith("FileBasedCache"):
        yield
        return
    own = {**shared, "LOCATION": str(tmp_path_factory.mktemp("shared-cache"))}
    with override_settings(CACHES={**django_settings.CACHES, "shared": own}):
        yield


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's default language: a request in French or Dutch
    leaves its language active in the thread, which would translate the next test's
    messages."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and cached feed fragments never leak from one test to the next."""
    from django.core.cache import caches

    for cache in caches.all(initialized_only=False):
        cache.clear()
    yield
    for cache in caches.all(initialized_only=True):
        cache.clear()


class CommittedOutbox:
    """The outbox as it stands once the test's writes have committed.

    Mail is sent on commit (diary.services.organiser_notify), and a test's own transaction
    never commits; so reading the outbox first runs the on-commit callbacks registered so
    far, as a commit would. Callbacks of a rolled-back savepoint are already dropped by
    Django, so a write that failed sends nothing, here as in production.
    """

    def __init__(self, outbox):
        self._outbox = outbox

    def _committed(self):
        from django.db import connections

        for connection in connections.all(initialized_only=True):
            pending, connection.run_on_commit = connection.run_on_commit, []
            for _savepoints, callback, _robust in pending:
                callback()
        return self._outbox

    def __len__(self):
        return len(self._committed())

    def __getitem__(self, index):
        return self._committed()[index]

    def __iter__(self):
        return iter(self._committed())

    def __eq__(self, other):
        return self._committed() == other

    def __repr__(self):
        return repr(self._committed())


@pytest.fixture
def still_clock(time_machine):
    """The clock stopped at the test's start: what is remembered for this minute or this day
    (cached answers, a feed's validators) is still there when the test asks again, even when
    the test runs across a minute's or a day's turn."""
    from django.utils import timezone

    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


@pytest.fixture
def mailoutbox(mailoutbox):
    return CommittedOutbox(mailoutbox)


class ServerErrors:
    """Every answer of 500 and above that Django logged (django.request): the test client's
    and the live server's (browser tests) alike."""

    def __init__(self):
        import logging

        self.records = []
        self.handler = logging.Handler(level=logging.ERROR)
        self.handler.emit = self._keep

    def _keep(self, record):
        if getattr(record, "status_code", 0) >= 500:
            self.records.append(f"{record.status_code} {record.getMessage()}")


@pytest.fixture(autouse=True)
def _no_server_error(request):
    """No test answers a 5xx unless it says it means to (`@pytest.mark.server_error`, e.g. the
    health check's 503): a 500 anywhere in the suite fails the test that caused it."""
    import logging

    errors = ServerErrors()
    logger = logging.getLogger("django.request")
    logger.addHandler(errors.handler)
    yield errors
    logger.removeHandler(errors.handler)
    if errors.records and not request.node.get_closest_marker("server_error"):
        pytest.fail(f"The server answered {errors.records}", pytrace=False)
