"""Django admin for parties, frameworks, lots, ceiling prices and admissions.

The admin is an interface like any other: creating an object and every status change go
through ``agreements.services`` so that rules are enforced and each write is audited.
Statuses are read-only; they move only through the admin actions. Objects are not edited
in place after creation (no audited service exists for that) and are never deleted.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agreements import services
from agreements.models import Admission, CeilingPrice, FrameworkAgreement, Lot, Membership, Organization
from common.errors import DomainError


class ServiceAdmin(admin.ModelAdmin):
    """Creation through a service; change pages are read-only views; no deletion.

    Subclasses implement ``create(request, form)`` returning the object the service made.
    A domain error from a service is shown as a message and nothing is saved (the admin's
    change view runs in a transaction that the error rolls back).
    """

    def create(self, request, form):  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return tuple(self.readonly_fields)
        return tuple(field.name for field in self.model._meta.fields if field.editable) + tuple(self.readonly_fields)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        created = self.create(request, form)
        obj.pk = created.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            self.message_user(request, error.message, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def _run_transitions(modeladmin, request, objects, transition, done_message):
    """Call ``transition(obj)`` for each object; report each refusal and the number that moved."""
    moved = 0
    for obj in objects:
        try:
            transition(obj)
        except DomainError as error:
            modeladmin.message_user(request, f"{obj}: {error.message}", level=messages.ERROR)
        else:
            moved += 1
    if moved:
        modeladmin.message_user(request, done_message % {"count": moved}, level=messages.SUCCESS)


# --- parties ---------------------------------------------------------------------------------------------------


@admin.register(Organization)
class OrganizationAdmin(ServiceAdmin):
    list_display = ["name", "kind", "identifier_scheme", "legal_identifier", "country"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "legal_identifier"]
    fields = ["kind", "name", "identifier_scheme", "legal_identifier", "country", "contact_email"]

    def create(self, request, form):
        data = form.cleaned_data
        return services.organization_create(
            kind=data["kind"], name=data["name"], legal_identifier=data["legal_identifier"], country=data["country"],
            identifier_scheme=data["identifier_scheme"], contact_email=data["contact_email"], actor=request.user,
        )


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role", "organization__kind"]
    search_fields = ["user__username", "organization__name"]
    autocomplete_fields = ["user", "organization"]
    fields = ["user", "organization", "role"]

    def create(self, request, form):
        data = form.cleaned_data
        return services.membership_add(
            user=data["user"], organization=data["organization"], role=data["role"], actor=request.user
        )


# --- frameworks and lots ---------------------------------------------------------------------------------------


class LotInline(admin.TabularInline):
    model = Lot
    fields = ["number", "title", "is_goods", "max_delivery_days"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FrameworkAgreement)
class FrameworkAgreementAdmin(ServiceAdmin):
    list_display = ["reference", "title", "authority", "status", "currency", "start_date", "end_date"]
    list_filter = ["status", "currency", "authority"]
    search_fields = ["reference", "title"]
    readonly_fields = ["status", "status_changed_at"]
    fields = [
        "reference", "title", "description", "authority", "currency", "start_date", "end_date",
        "direct_award_allowed", "max_frozen_results", "min_quotation_business_days", "max_call_off_months",
        "max_cap_increase_percent", "status", "status_changed_at",
    ]
    inlines = [LotInline]
    actions = ["open_to_suppliers", "go_live", "terminate"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "authority":
            kwargs["queryset"] = Organization.objects.filter(kind=Organization.Kind.AUTHORITY)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def create(self, request, form):
        data = form.cleaned_data
        return services.framework_create(
            actor=request.user, authority=data["authority"], reference=data["reference"], title=data["title"],
            description=data["description"], currency=data["currency"], start_date=data["start_date"],
            end_date=data["end_date"], direct_award_allowed=data["direct_award_allowed"],
            max_frozen_results=data["max_frozen_results"],
            min_quotation_business_days=data["min_quotation_business_days"],
            max_call_off_months=data["max_call_off_months"],
            max_cap_increase_percent=data["max_cap_increase_percent"],
        )

    def _transition(self, request, queryset, target, done_message, reason=""):
        _run_transitions(
            self, request, queryset.order_by("pk"),
            lambda framework: services.framework_transition(
                actor=request.user, framework=framework, target=target, reason=reason
            ),
            done_message,
        )

    @admin.action(description=_("Open to suppliers"))
    def open_to_suppliers(self, request, queryset):
        self._transition(request, queryset, FrameworkAgreement.Status.OPEN, gettext("%(count)d opened."))

    @admin.action(description=_("Go live (buyers may call off)"))
    def go_live(self, request, queryset):
        self._transition(request, queryset, FrameworkAgreement.Status.LIVE, gettext("%(count)d now live."))

    @admin.action(description=_("Terminate"))
    def terminate(self, request, queryset):
        reason = gettext("terminated via admin by %(user)s") % {"user": request.user.get_username()}
        self._transition(
            request, queryset, FrameworkAgreement.Status.TERMINATED, gettext("%(count)d terminated."), reason=reason
        )


class CeilingPriceInlineForm(forms.ModelForm):
    class Meta:
        model = CeilingPrice
        fields = ["unit", "max_unit_price"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Changing the unit of an existing ceiling would be a different ceiling: add a new row instead.
            self.fields["unit"].disabled = True


class CeilingPriceInline(admin.TabularInline):
    model = CeilingPrice
    form = CeilingPriceInlineForm
    fields = ["unit", "max_unit_price"]
    extra = 1
    can_delete = False


@admin.register(Lot)
class LotAdmin(ServiceAdmin):
    list_display = ["__str__", "framework", "number", "is_goods", "max_delivery_days"]
    list_filter = ["framework", "is_goods"]
    search_fields = ["title", "framework__reference"]
    fields = ["framework", "number", "title", "description", "is_goods", "max_delivery_days"]
    inlines = [CeilingPriceInline]

    def create(self, request, form):
        data = form.cleaned_data
        return services.lot_create(
            actor=request.user, framework=data["framework"], number=data["number"], title=data["title"],
            description=data["description"], is_goods=data["is_goods"], max_delivery_days=data["max_delivery_days"],
        )

    def save_formset(self, request, form, formset, change):
        if formset.model is not CeilingPrice:
            return super().save_formset(request, form, formset, change)
        # The admin's change message reads these lists, which formset.save() would have filled.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if not inline_form.has_changed() or not inline_form.cleaned_data:
                continue
            existed = inline_form.instance.pk is not None
            ceiling = services.ceiling_price_set(
                actor=request.user, lot=form.instance, unit=inline_form.cleaned_data["unit"],
                max_unit_price=inline_form.cleaned_data["max_unit_price"],
            )
            if existed:
                formset.changed_objects.append((ceiling, inline_form.changed_data))
            else:
                formset.new_objects.append(ceiling)


@admin.register(CeilingPrice)
class CeilingPriceAdmin(ServiceAdmin):
    list_display = ["lot", "unit", "max_unit_price"]
    list_filter = ["lot__framework"]
    search_fields = ["unit", "lot__title"]
    fields = ["lot", "unit", "max_unit_price"]

    def create(self, request, form):
        data = form.cleaned_data
        return services.ceiling_price_set(
            actor=request.user, lot=data["lot"], unit=data["unit"], max_unit_price=data["max_unit_price"]
        )


# --- admissions ------------------------------------------------------------------------------------------------


@admin.register(Admission)
class AdmissionAdmin(ServiceAdmin):
    list_display = ["supplier", "lot", "status", "applied_at", "decided_at"]
    list_filter = ["status", "lot__framework"]
    search_fields = ["supplier__name", "lot__title"]
    readonly_fields = ["status", "reason", "applied_at", "decided_at"]
    fields = ["supplier", "lot", "status", "reason", "applied_at", "decided_at"]
    actions = ["admit", "reject", "suspend", "reinstate", "exclude_supplier"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "supplier":
            kwargs["queryset"] = Organization.objects.filter(kind=Organization.Kind.SUPPLIER)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def create(self, request, form):
        data = form.cleaned_data
        return services.admission_apply(actor=request.user, supplier=data["supplier"], lot=data["lot"])

    def _transition(self, request, queryset, *, target, done_message, only_from=None, reason=""):
        def move(admission):
            if only_from is not None and admission.status != only_from:
                # The same target state means different things: "admit" decides an application,
                # "reinstate" lifts a suspension. Refuse the one that does not fit.
                raise DomainError(
                    gettext("only %(status)s admissions can take this action.") % {"status": only_from}
                )
            services.admission_transition(actor=request.user, admission=admission, target=target, reason=reason)

        _run_transitions(self, request, queryset.order_by("pk"), move, done_message)

    def _reason(self, request, verb):
        return gettext("%(verb)s via admin by %(user)s") % {"verb": verb, "user": request.user.get_username()}

    @admin.action(description=_("Admit the application"))
    def admit(self, request, queryset):
        self._transition(request, queryset, target=Admission.Status.ADMITTED, only_from=Admission.Status.APPLIED,
                         done_message=gettext("%(count)d admitted."))

    @admin.action(description=_("Reject the application"))
    def reject(self, request, queryset):
        self._transition(request, queryset, target=Admission.Status.REJECTED,
                         done_message=gettext("%(count)d rejected."), reason=self._reason(request, "rejected"))

    @admin.action(description=_("Suspend"))
    def suspend(self, request, queryset):
        self._transition(request, queryset, target=Admission.Status.SUSPENDED,
                         done_message=gettext("%(count)d suspended."), reason=self._reason(request, "suspended"))

    @admin.action(description=_("Reinstate after suspension"))
    def reinstate(self, request, queryset):
        self._transition(request, queryset, target=Admission.Status.ADMITTED, only_from=Admission.Status.SUSPENDED,
                         done_message=gettext("%(count)d reinstated."))

    @admin.action(description=_("Exclude"))
    def exclude_supplier(self, request, queryset):  # not "exclude": ModelAdmin.exclude lists form fields
        self._transition(request, queryset, target=Admission.Status.EXCLUDED,
                         done_message=gettext("%(count)d excluded."), reason=self._reason(request, "excluded"))
