"""How the agenda paints on a slow phone and a desktop, as Lighthouse measures it: the largest
contentful paint and the cumulative layout shift, with the network and the processor
throttled as Lighthouse's mobile preset does (150 ms round trips, 1.6 Mbit/s, CPU ×4).

CLS is a property of the page (images with their width and height, nothing inserted above
what is read), so it is asserted; LCP is a time, only printed (docs/benchmarks.md keeps it).
"""

import pytest

from diary.demo import demo_city_seed
from diary.models import Event

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

OBSERVE = """
window.__cls = 0;
window.__lcp = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__cls += entry.value;
}).observe({type: "layout-shift", buffered: true});
new PerformanceObserver((list) => {
  const entries = list.getEntries();
  window.__lcp = entries[entries.length - 1].startTime;
}).observe({type: "largest-contentful-paint", buffered: true});
"""


def throttled(page) -> None:
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 150,
            "downloadThroughput": 1_638_400 / 8,
            "uploadThroughput": 750_000 / 8,
        },
    )
    session.send("Emulation.setCPUThrottlingRate", {"rate": 4})


def test_the_agenda_and_an_event_paint_without_shifting(live_server, phone_page, page):
    demo_city_seed(events=120, venues=18, seed=1, pictures=60)
    pictured = Event.objects.published().exclude(image="").order_by("pk").first()
    for each in (phone_page, page):  # 375 px, and 1280 px with the cards' pictures
        each.add_init_script(OBSERVE)
        throttled(each)
        for path in ("/", pictured.get_absolute_url()):
            each.goto(live_server.url + path)
            each.wait_for_load_state("networkidle")
            # Down the whole page, so that every lazy picture loads.
            each.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            each.wait_for_load_state("networkidle")
            each.wait_for_timeout(500)
            cls, lcp = each.evaluate("[window.__cls, window.__lcp]")
            width = each.viewport_size["width"]
            print(f"\n{path} at {width} px: LCP {lcp:.0f} ms, CLS {cls:.3f}")
            assert cls < 0.1, (path, width)
