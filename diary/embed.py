"""The agenda on partner sites: `/embed/` for an iframe, `static/embed.js` that inserts one,
and `/embed/builder/` where a partner chooses the selection and copies the snippet.

`/embed/` answers the agenda's own query string through the same AgendaFilter. It is the
only page any site may frame (`frame-ancestors *`, no X-Frame-Options); it sets no cookie,
loads nothing from elsewhere, and opens events in a new tab. Its look takes three
parameters, each checked against a fixed set or pattern and otherwise left at its default:
nothing from the query string is ever written into a style or a script.
"""

from csp.decorators import csp_replace
from django import forms
from django.conf import settings
from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_exempt

from common.caching import cacheable
from common.listing import group_by_day
from diary import runs
from diary.filters import AgendaFilter, describe, selection
from diary.languages import LANG
from diary.models import Occurrence
from diary.views import filter_choices

# The script partners paste: its address never changes (no hashed name: WhiteNoise serves
# the original with a short cache lifetime, so a new version reaches every partner site).
EMBED_SCRIPT = "embed.js"
# The look's parameters, beside the agenda's.
THEME_PARAMETERS = ("accent", "theme", "layout", "limit")
DEFAULT_ACCENT = "b00d26"
DEFAULT_LIMIT = 20
MAX_LIMIT = 50


class EmbedLook(forms.Form):
    # Six hex digits; a colour input sends them after a "#".
    accent = forms.RegexField(regex=r"\A#?[0-9a-fA-F]{6}\Z", required=False, label=_("Accent"))
    theme = forms.ChoiceField(
        choices=[("light", _("Light")), ("dark", _("Dark"))], required=False, label=_("Theme")
    )
    layout = forms.ChoiceField(
        choices=[("list", _("List")), ("compact", _("Compact"))], required=False, label=_("Layout")
    )
    limit = forms.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False, label=_("Events"))

    def look(self) -> dict:
        """The valid values, each bad or missing one at its default."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if value}
        return {
            "accent": data.get("accent", DEFAULT_ACCENT).lstrip("#").lower(),
            "theme": data.get("theme", "light"),
            "layout": data.get("layout", "list"),
            "limit": data.get("limit", DEFAULT_LIMIT),
        }


@cacheable
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
def embed(request):
    look = EmbedLook(request.GET).look()
    params = selection(request.GET, *THEME_PARAMETERS, LANG)
    agenda = AgendaFilter(params, queryset=Occurrence.objects.public().for_listing())
    occurrences = list(runs.listed(agenda)[: look["limit"]]) if agenda.is_valid() else []
    query = params.urlencode()
    site = request.build_absolute_uri("/").rstrip("/")
    context = {
        "filter": agenda,
        "look": look,
        "site_url": site,
        "runs": runs.runs_on(agenda, categories=[], shown=0),  # counted, not named
        "days": group_by_day(occurrences, since=agenda.first_day()),
        "selection": describe(agenda) if agenda.is_valid() else "",
        "more_url": site + reverse("diary:agenda") + (f"?{query}" if query else ""),
    }
    return render(request, "diary/embed.html", context)


def snippet(query: str, look: dict, language: str) -> dict[str, str]:
    """What a partner pastes: the script, or an iframe for sites that take no script."""
    data = {"data-query": query}
    for name, default in (("accent", DEFAULT_ACCENT), ("theme", "light"), ("layout", "list")):
        if look[name] != default:
            data[f"data-{name}"] = look[name]
    if look["limit"] != DEFAULT_LIMIT:
        data["data-limit"] = str(look["limit"])
    if language != settings.LANGUAGE_CODE:
        data["data-lang"] = language
    attributes = " ".join(f'{name}="{escape(value)}"' for name, value in data.items())
    script_url = settings.SITE_URL + settings.STATIC_URL + EMBED_SCRIPT
    script = f'<script src="{script_url}" {attributes} async></script>'
    frame_query = QueryDict(query, mutable=True)
    for name in (*THEME_PARAMETERS, LANG):  # the iframe takes what the script passes on
        if f"data-{name}" in data:
            frame_query[name] = data[f"data-{name}"]
    src = f"{settings.SITE_URL}/embed/" + (f"?{frame_query.urlencode()}" if frame_query else "")
    iframe = (
        f'<iframe src="{escape(src)}" title="{escape(_("Event Diary"))}" '
        'style="width:100%;height:600px;border:0" loading="lazy"></iframe>'
    )
    return {"script": script, "iframe": iframe, "src": src}


def embed_builder(request):
    """Choose a selection and a look, see it live, copy the snippet. Works without
    JavaScript (the form reloads the page); with it, every change updates the preview."""
    look = EmbedLook(request.GET).look()
    params = selection(request.GET, *THEME_PARAMETERS, LANG)
    agenda = AgendaFilter(params, queryset=Occurrence.objects.none())
    query = params.urlencode() if agenda.is_valid() else ""
    language = request.GET.get(LANG) or request.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    preview = params.copy()
    preview.update({**look, LANG: language})
    context = {
        "filter": agenda,
        "selected": params,
        "look": look,
        "lang": language,
        "code": snippet(query, look, language),
        "site_url": settings.SITE_URL,
        "embed_script": settings.STATIC_URL + EMBED_SCRIPT,
        "preview_url": reverse("embed") + "?" + preview.urlencode(),
    } | filter_choices()
    return render(request, "diary/embed_builder.html", context)
