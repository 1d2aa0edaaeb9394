"""The shared cache without Redis (settings.CACHES["shared"]): Django's file cache, culled as
a store of counters must be.

Django's FileBasedCache keeps an expired entry until it is read again, and once it holds
MAX_ENTRIES files it deletes a third of them at random, live or not. Every client address
leaves a counter (the API's throttle, the form's limits), so a flood from many addresses
culled the hourly counters and the used form tokens with the rest: a limit began again
early, a used token could be sent again (docs/security.md). Here a full cache deletes what
has expired first; live entries go, at random, only when more than two thirds of
MAX_ENTRIES are live at once, and then down to that share, so a cull never runs again at
once. One worker culls at a time; the others write meanwhile.
"""

import fcntl
import os
import random

from django.core.cache.backends.filebased import FileBasedCache

CULL_LOCK = "cull.lock"  # not ending in .djcache: never listed, culled or cleared


class CountersFileBasedCache(FileBasedCache):
    def _cull(self):
        names = self._list_cache_files()
        if len(names) < self._max_entries:
            return
        if self._cull_frequency == 0:
            self.clear()
            return
        with open(os.path.join(self._dir, CULL_LOCK), "ab") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # another worker is culling: a few entries over the bound meanwhile
            live = [name for name in self._list_cache_files() if not self._expired_file(name)]
            kept = self._max_entries - self._max_entries // self._cull_frequency
            for name in random.sample(live, max(0, len(live) - kept)):
                self._delete(name)

    def _expired_file(self, name: str) -> bool:
        """Whether the entry in `name` has expired; Django's check deletes it if so. An entry
        that cannot be read counts as live: the random part of the cull may take it."""
        try:
            with open(name, "rb") as entry:
                return self._is_expired(entry)
        except FileNotFoundError:  # another worker deleted it meanwhile
            return True
        except Exception:  # unreadable, or not an entry: never a reason to fail a write
            return False
