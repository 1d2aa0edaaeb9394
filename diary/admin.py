from datetime import datetime

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language_info, ngettext
from django.utils.translation import gettext_lazy as _

from common.admin import AgendaAdmin, MissingTextFilter
from common.translation import CODES, columns, translations
from diary import catalogue, services
from diary.forms import EventDatesForm, rule_in_words
from diary.models import (
    ApiToken,
    Article,
    Category,
    Change,
    Event,
    Language,
    Occurrence,
    Organiser,
    Submission,
    Tag,
)


def thumbnail(event: Event, *, width: int, style: str = "") -> str:
    """The event's picture, small, for the editors' lists and previews ("" without one)."""
    if not event.image:
        return ""
    return format_html('<img src="{}" alt="" width="{}" style="{}">', event.image.url, width, style)


def shown_value(field, value):
    """A field's value as an editor reads it: times in the city's zone, rules in words."""
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if field.name == "rrule":
        return rule_in_words(value) or "–"
    return "–" if value in (None, "") else value


class OccurrenceInline(admin.TabularInline):
    """The upcoming materialised dates, for reading: they follow from the event's rule."""

    model = Occurrence
    fields = ("start", "end", "all_day")
    readonly_fields = fields
    extra = 0
    verbose_name_plural = _("upcoming occurrences")

    def get_queryset(self, request):
        return super().get_queryset(request).upcoming().order_by("start")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# The relations of an event its admin form sets.
RELATIONS = ("tags", "languages", "related_articles", "excluded_articles")


class RecordedAdmin(AgendaAdmin):
    """The admin of what events show (venues, areas, categories, tags, languages): every
    save and delete goes through diary.catalogue, which records it and refreshes the events
    that show it."""

    def save_model(self, request, obj, form, change: bool) -> None:
        catalogue.shown_save(obj=obj)

    def delete_model(self, request, obj) -> None:
        catalogue.shown_delete(obj=obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            catalogue.shown_delete(obj=obj)


@admin.register(Event)
class EventAdmin(AgendaAdmin):
    form = EventDatesForm
    list_display = (
        "title",
        "start",
        "venue",
        "category",
        "status",
        "publication_state",
        "is_recurring_display",
    )
    list_filter = (
        "publication_state",
        "status",
        "text_language",
        MissingTextFilter.of("title"),
        MissingTextFilter.of("description"),
        "category",
        ("start", admin.DateFieldListFilter),
        "all_day",
        "is_free",
        "family_friendly",
        "is_pick",
        ("venue", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("venue", "category")
    search_fields = (
        *columns("title", "summary"),
        "uid",
        "source_uid",
        *(f"venue__{column}" for column in columns("name")),
        "organiser__name",
        "organiser__email",
    )
    date_hierarchy = "start"
    prepopulated_fields = {"slug": tuple(columns("title"))}
    autocomplete_fields = ("venue", "organiser", "tags", "related_articles", "excluded_articles")
    filter_horizontal = ("languages",)
    readonly_fields = (
        # Publishing and rejecting have consequences (the organiser's e-mail, a pending
        # change applied): they are the buttons and actions, which call the services.
        "publication_state",
        "uid",
        "sequence",
        "published_at",
        "created",
        "updated",
        "source",
        "source_uid",
        "overrides",
    )
    inlines = (OccurrenceInline,)
    actions = ("approve", "reject", "cancel", "pick", "unpick")
    fieldsets = (
        # Each text in the three languages side by side; the organiser's own is marked in
        # Moderation (text_language).
        (
            None,
            {
                "fields": (
                    tuple(columns("title")),
                    "slug",
                    tuple(columns("summary")),
                    tuple(columns("description")),
                    "performers",
                    "category",
                    "tags",
                )
            },
        ),
        (_("Where"), {"fields": ("venue", "online_url")}),
        (
            _("When"),
            {"fields": ("timezone", "start", "end", "all_day", "rrule", "rdates", "exdates")},
        ),
        (
            _("Practical"),
            {
                "fields": (
                    ("is_free", "price_min", "price_max"),
                    ("ticket_url", "sold_out"),
                    ("image", "image_alt"),
                    "languages",
                    ("family_friendly", "min_age", "max_age"),
                )
            },
        ),
        (
            _("Magazine"),
            {
                "fields": (
                    "is_pick",
                    tuple(columns("pick_reason")),
                    "related_articles",
                    "excluded_articles",
                )
            },
        ),
        (
            _("Moderation"),
            {"fields": ("organiser", "text_language", "status", "publication_state")},
        ),
        (
            _("Calendar identity"),
            {
                "classes": ("collapse",),
                "fields": (
                    "uid",
                    "sequence",
                    "source",
                    "source_uid",
                    "overrides",
                    "published_at",
                    "created",
                    "updated",
                ),
            },
        ),
    )

    @admin.display(description=_("recurring"), boolean=True)
    def is_recurring_display(self, event: Event) -> bool:
        return event.is_recurring

    ordering = ("-start", "pk")  # the latest dates first, not the archive's oldest
    change_form_template = "admin/diary/event_change_form.html"

    def save_model(self, request, obj: Event, form, change: bool) -> None:
        services.event_save(event=obj)

    def save_related(self, request, form, formsets, change: bool) -> None:
        """The form sets the tags, languages and stories itself; what changed is recorded."""
        event = form.instance
        with services.relations_changed(event, list(RELATIONS)) as changed:
            super().save_related(request, form, formsets, change)
        services.event_relations_recorded(event=event, names=changed)

    def delete_model(self, request, obj: Event) -> None:
        services.event_delete(event=obj)

    def delete_queryset(self, request, queryset) -> None:
        for event in queryset:
            services.event_delete(event=event)

    def get_actions(self, request):
        """Moderation first; deleting, which no organiser is told of, last."""
        actions = super().get_actions(request)
        delete = actions.pop("delete_selected", None)
        if delete:
            actions["delete_selected"] = delete
        return actions

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        own = [
            path(
                "<path:object_id>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name="{}_{}_approve".format(*info),
            ),
            path(
                "<path:object_id>/reject/",
                self.admin_site.admin_view(self.reject_view),
                name="{}_{}_reject".format(*info),
            ),
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="{}_{}_preview".format(*info),
            ),
            path(
                "<path:object_id>/duplicate/",
                self.admin_site.admin_view(self.duplicate_view),
                name="{}_{}_duplicate".format(*info),
            ),
        ]
        return own + super().get_urls()

    def _event_or_404(self, request, object_id) -> Event:
        event = self.get_object(request, object_id)
        if event is None or not self.has_change_permission(request, event):
            raise Http404
        return event

    def _change_url(self, event: Event) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[event.pk]
        )

    def _changelist_url(self) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")

    def _ask(self, request, template: str, events, back_url: str = "", **extra):
        """The page an action asks its question on (a reason) before acting on `events`."""
        context = {
            **self.admin_site.each_context(request),
            "events": events,
            "opts": self.opts,
            "back_url": back_url or self._changelist_url(),
            **extra,
        }
        return render(request, template, context)

    def _after_moderation(self, request, event: Event) -> HttpResponseRedirect:
        """Where an editor goes once an event is approved or rejected: back to it while it
        is still in this list (all events), else on to the next item of the queue after it,
        or to the queue itself when none follows."""
        listed = self.get_queryset(request)
        if listed.filter(pk=event.pk).exists():
            return HttpResponseRedirect(self._change_url(event))
        queue = listed.order_by("created", "pk").only("pk")  # the queue's order: oldest first
        after = Q(created__gt=event.created) | Q(created=event.created, pk__gt=event.pk)
        following = queue.filter(after).first() or queue.first()
        if following is not None:
            return HttpResponseRedirect(self._change_url(following))
        return HttpResponseRedirect(self._changelist_url())

    def approve_view(self, request, object_id):
        """One event's *Approve and publish* button (POST): the same service as the action."""
        event = self._event_or_404(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(self._change_url(event))
        self.approve(request, Event.objects.filter(pk=event.pk))
        return self._after_moderation(request, event)

    def reject_view(self, request, object_id):
        """One event's *Reject…* button: the bulk action's reason page and rejection."""
        event = self._event_or_404(request, object_id)
        back_url = self._change_url(event)
        events = Event.objects.filter(pk=event.pk)
        return self.reject(request, events, back_url=back_url) or self._after_moderation(
            request, event
        )

    def preview_view(self, request, object_id):
        """The event's page as it will look, for editors, whatever its state."""
        from diary.views import event_page

        return event_page(request, self._event_or_404(request, object_id), preview=True)

    def duplicate_view(self, request, object_id):
        """A suspected duplicate beside the event it likely repeats, with one-click *Merge*
        (the published one, and its UID, stays) and *Not a duplicate*: the services."""
        event = self._event_or_404(request, object_id)
        other = services.duplicate_suspect(event)
        if event.duplicate_of is None:
            return HttpResponseRedirect(self._change_url(event))
        if other is None:  # the suspect was rejected since
            services.duplicate_dismiss(event=event)
            self.message_user(
                request,
                _("The event it seemed to repeat was rejected since: nothing to merge."),
                messages.INFO,
            )
            return HttpResponseRedirect(self._change_url(event))
        if request.method == "POST" and "merge" in request.POST:
            kept = services.duplicate_merge(event=event)
            self.message_user(
                request,
                _(
                    "Merged: “%(title)s” stays in the agenda; the other one is rejected as its "
                    "duplicate."
                )
                % {"title": kept.title},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:diary_submission_changelist"))
        if request.method == "POST" and "distinct" in request.POST:
            services.duplicate_dismiss(event=event)
            self.message_user(request, _("Marked as not a duplicate."), messages.SUCCESS)
            return HttpResponseRedirect(self._change_url(event))

        def moment(value) -> str:
            return date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else "–"

        rows = [
            (label, value(event), value(other))
            for label, value in (
                (_("title"), lambda e: e.title),
                (_("publication state"), lambda e: e.get_publication_state_display()),
                (_("status"), lambda e: e.get_status_display()),
                (_("start"), lambda e: moment(e.start)),
                (_("end"), lambda e: moment(e.end)),
                (_("repeats"), lambda e: rule_in_words(e.rrule) or "–"),
                (
                    _("where"),
                    lambda e: (
                        e.venue.name if e.venue else (e.online_url or e.venue_proposal or "–")
                    ),
                ),
                (_("organiser"), lambda e: e.organiser or "–"),
                (_("imported from"), lambda e: e.source or "–"),
                (_("UID"), lambda e: e.uid),
                (_("summary"), lambda e: e.summary or "–"),
            )
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "event": event,
            "other": other,
            "rows": rows,
            "back_url": self._change_url(event),
        }
        return render(request, "admin/diary/duplicate.html", context)

    def get_view_on_site_url(self, obj=None):
        if obj is None or obj.is_published:
            return super().get_view_on_site_url(obj)
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_preview", args=[obj.pk])

    def _moderate(self, request, events, service, message) -> None:
        """`service` on each of `events`, and a message saying what was done (to which
        event, when it was one)."""
        done = [service(event=event) or event for event in events]
        said = message(len(done)) % {"count": len(done)}
        if len(done) == 1:
            said = _("%(done)s: “%(title)s”.") % {"done": said.rstrip("."), "title": done[0].title}
        self.message_user(request, said, messages.SUCCESS)

    @admin.action(description=_("Approve and publish the selected events"))
    def approve(self, request, queryset) -> None:
        skipped = queryset.called_off().count()
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d event was left out: its organiser cancelled it.",
                    "%(count)d events were left out: their organisers cancelled them.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
        self._moderate(
            request,
            queryset.approvable(),
            services.event_publish,
            lambda n: ngettext("%(count)d event published.", "%(count)d events published.", n),
        )

    @admin.action(description=_("Reject the selected events (with a reason)"))
    def reject(self, request, queryset, back_url: str = ""):
        """Asks for the reason the organisers will read, then rejects; `back_url` is where
        the reason page leads back to (the list, or one event's page)."""
        events = queryset.rejectable()
        if "reason" not in request.POST:
            return self._ask(request, "admin/diary/reject_reason.html", events, back_url)
        reason = request.POST["reason"].strip()
        self._moderate(
            request,
            events,
            lambda event: services.event_reject(event=event, reason=reason),
            lambda n: ngettext("%(count)d event rejected.", "%(count)d events rejected.", n),
        )
        return None

    @admin.action(description=_("Mark the selected events as cancelled"))
    def cancel(self, request, queryset) -> None:
        self._moderate(
            request,
            queryset.exclude(status=Event.Status.CANCELLED),
            services.event_cancel,
            lambda n: ngettext("%(count)d event cancelled.", "%(count)d events cancelled.", n),
        )

    @admin.action(description=_("Mark the selected events as editors' picks (with a reason)"))
    def pick(self, request, queryset):
        """Asks why (the card shows it, in each language given), then picks."""
        events = queryset.filter(is_pick=False)
        if "picked" not in request.POST:
            languages = [(code, get_language_info(code)["name_local"]) for code in CODES]
            return self._ask(request, "admin/diary/pick_reason.html", events, languages=languages)
        reasons = {code: request.POST.get(f"reason_{code}", "") for code in CODES}
        self._moderate(
            request,
            events,
            lambda event: services.event_pick(event=event, reasons=reasons),
            lambda n: ngettext("%(count)d event picked.", "%(count)d events picked.", n),
        )
        return None

    @admin.action(description=_("Take the selected events out of the editors' picks"))
    def unpick(self, request, queryset) -> None:
        self._moderate(
            request,
            queryset.filter(is_pick=True),
            lambda event: services.event_pick(event=event, pick=False),
            lambda n: ngettext(
                "%(count)d event is no longer a pick.", "%(count)d events are no longer picks.", n
            ),
        )


class LikelyDuplicateFilter(admin.SimpleListFilter):
    title = _("likely duplicate")
    parameter_name = "duplicate"

    def lookups(self, request, model_admin):
        return [("yes", _("Likely duplicates")), ("no", _("Not duplicates"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(duplicate_of__isnull=self.value() == "no")
        return queryset


@admin.register(Submission)
class SubmissionAdmin(EventAdmin):
    """The moderation queue: pending events, oldest first, approved or rejected in a click."""

    # What decides first, and narrow: the queue fits 1,280 pixels beside the sidebar.
    list_display = ("what", "duplicate", "when", "where")  # oldest first
    list_select_related = ("venue", "category", "organiser", "duplicate_of")
    list_filter = (
        LikelyDuplicateFilter,
        "text_language",
        MissingTextFilter.of("title"),
        "category",
        ("start", admin.DateFieldListFilter),
    )
    ordering = ("created", "pk")
    actions = ("approve", "reject", "not_duplicates")
    readonly_fields = (*EventAdmin.readonly_fields, "preview", "proposed_change")
    fieldsets = (
        (_("Preview"), {"fields": ("preview", "proposed_change")}),
        *EventAdmin.fieldsets,
    )
    date_hierarchy = None

    def get_queryset(self, request):
        return super().get_queryset(request).awaiting_moderation()

    @admin.display(description=_("likely duplicate of"))
    def duplicate(self, event: Event) -> str:
        if event.duplicate_of is None:
            return "–"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:diary_submission_duplicate", args=[event.pk]),
            _("“%(title)s”: compare") % {"title": event.duplicate_of.title},
        )

    @admin.action(description=_("They are not duplicates"))
    def not_duplicates(self, request, queryset) -> None:
        self._moderate(
            request,
            queryset.filter(duplicate_of__isnull=False),
            services.duplicate_dismiss,
            lambda count: ngettext(
                "%(count)d event marked as not a duplicate.",
                "%(count)d events marked as not a duplicate.",
                count,
            ),
        )

    @admin.display(description=_("texts in"))
    def texts_in(self, event: Event) -> str:
        """The languages the event's texts exist in, its own first and marked."""
        present = translations(event, ("title", "summary", "description"))
        codes = sorted(present, key=lambda code: code != event.text_language)
        return format_html_join(
            " ",
            "{}",
            (
                (format_html("<strong>{}</strong>", c) if c == event.text_language else c,)
                for c in codes
            ),
        )

    @admin.display(description=_("event"), ordering="slug")
    def what(self, event: Event) -> str:
        """Title, with what an editor must see at once: the kind of request, the status
        when it is not the usual, and the picture."""
        kind = _("a change to a published event") if event.is_published else _("a new submission")
        status = "" if event.status == Event.Status.SCHEDULED else event.get_status_display()
        return format_html(
            "{}<strong>{}</strong>{}<br><small>{} · {} · {} {}</small>",
            thumbnail(event, width=48, style="float:right"),
            event.title,
            format_html(" · <mark>{}</mark>", status) if status else "",
            kind,
            event.organiser or "–",
            _("texts in"),
            self.texts_in(event),
        )

    @admin.display(description=_("when"), ordering="start")
    def when(self, event: Event) -> str:
        start = date_format(timezone.localtime(event.start), "SHORT_DATETIME_FORMAT")
        if event.rrule:
            return format_html("{}<br><small>{}</small>", start, rule_in_words(event.rrule))
        return format_html("{}{}", start, _(" · repeats") if event.is_recurring else "")

    @admin.display(description=_("proposed changes"))
    def proposed_change(self, event: Event) -> str:
        """What approving would change; the published version stays until then."""
        if not event.pending_change:
            return "–"
        proposed = event.with_pending_change()
        rows = []
        for attname in event.pending_change.get("fields", {}):
            field = next(f for f in Event._meta.concrete_fields if f.attname == attname)
            rows.append(
                (
                    field.verbose_name,
                    shown_value(field, field.value_from_object(event)),
                    shown_value(field, field.value_from_object(proposed)),
                )
            )
        for name in ("tags", "languages"):
            if name in event.pending_change:
                model = Event._meta.get_field(name).related_model
                proposed_names = model.objects.filter(pk__in=event.pending_change[name])
                rows.append(
                    (
                        Event._meta.get_field(name).verbose_name,
                        ", ".join(str(item) for item in getattr(event, name).all()),
                        ", ".join(str(item) for item in proposed_names),
                    )
                )
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            _("field"),
            _("published"),
            _("proposed"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("where"))
    def where(self, event: Event) -> str:
        if event.venue:
            return event.venue.name
        return format_html("<em>{}</em> {}", _("proposed:"), event.venue_proposal or "–")

    @admin.display(description=_("preview"))
    def preview(self, event: Event) -> str:
        image = thumbnail(event, width=240)
        return format_html(
            "{}<strong>{}</strong><p>{}</p><div>{}</div>",
            format_html("{}<br>", image) if image else "",
            event.title,
            event.summary,
            mark_safe(event.description),  # sanitised on every save (diary.html)
        )


@admin.register(Category)
class CategoryAdmin(RecordedAdmin):
    list_display = (*columns("name"), "slug", "position")
    list_editable = ("position",)
    list_filter = (MissingTextFilter.of("name"),)
    search_fields = (*columns("name"),)
    fields = (tuple(columns("name")), "slug", "position")
    prepopulated_fields = {"slug": tuple(columns("name"))}


@admin.register(Tag)
class TagAdmin(RecordedAdmin):
    list_display = (*columns("name"), "slug")
    list_filter = (MissingTextFilter.of("name"),)
    search_fields = (*columns("name"), "slug")
    fields = (tuple(columns("name")), "slug")
    prepopulated_fields = {"slug": tuple(columns("name"))}


@admin.register(Language)
class LanguageAdmin(RecordedAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")


@admin.register(Organiser)
class OrganiserAdmin(AgendaAdmin):
    list_display = ("name", "email", "website", "is_trusted", "created")
    list_filter = ("is_trusted",)
    search_fields = ("name", "email")


@admin.register(ApiToken)
class ApiTokenAdmin(AgendaAdmin):
    """Editors issue tokens here and hand the key to the organiser; deactivate to revoke."""

    list_display = ("organiser", "name", "is_active", "created", "last_used")
    list_filter = ("is_active",)
    search_fields = ("organiser__name", "organiser__email", "name")
    autocomplete_fields = ("organiser",)
    readonly_fields = ("key", "created", "last_used")
    fields = ("organiser", "name", "is_active", "key", "created", "last_used")


@admin.register(Article)
class ArticleAdmin(AgendaAdmin):
    list_display = ("title", "section", "language", "author", "published_on", "is_published")
    list_filter = (
        "is_published",
        "section",
        "language",
        ("published_on", admin.DateFieldListFilter),
        "tags",
    )
    search_fields = ("title", "excerpt", "author", "url")
    date_hierarchy = "published_on"
    autocomplete_fields = ("tags",)

    def save_model(self, request, obj: Article, form, change: bool) -> None:
        catalogue.article_save(article=obj)

    def save_related(self, request, form, formsets, change: bool) -> None:
        with services.relations_changed(form.instance, ["tags"]) as changed:
            super().save_related(request, form, formsets, change)
        if changed:
            catalogue.article_recorded(article=form.instance)

    def delete_model(self, request, obj: Article) -> None:
        catalogue.article_delete(article=obj)

    def delete_queryset(self, request, queryset) -> None:
        for article in queryset:
            catalogue.article_delete(article=article)


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    """The change journal, for reading: what changed, when, through which door, and which
    events it touched. Append-only: nobody adds, edits or deletes a row here."""

    list_display = ("at", "action", "subject", "door", "touched")
    list_filter = ("door", "action", ("at", admin.DateFieldListFilter))
    search_fields = ("subject", "events__uid")
    date_hierarchy = "at"
    fields = ("at", "action", "door", "subject", "fields", "touched")

    @admin.display(description=_("events touched"))
    def touched(self, change: Change) -> int:
        return change.touched

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(touched=Count("events"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # editors with the view permission read it

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
