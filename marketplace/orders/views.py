"""Order pages: list, detail (chart, burn rate, lines, usage log, notifications) and the forms."""

from __future__ import annotations

from collections import Counter

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from common.errors import DomainError, NotFound
from common.form_errors import service_errors_on
from common.forms import LocalizedDecimalField
from common.parsing import read_month
from marketplace.orders import charts, selectors, services
from marketplace.orders.models import CallOffOrder


class AmendCapForm(forms.Form):
    # The service refuses a cap of 0 or less, below what is spent or above the framework's limit.
    cap = LocalizedDecimalField(label=gettext_lazy("New cap"), max_digits=14, decimal_places=2, example="25000.00",
                                help_text=gettext_lazy("The most that may be spent in total."))
    justification = forms.CharField(label=gettext_lazy("Why the cap changes"), widget=forms.Textarea,
                                    help_text=gettext_lazy("This is recorded in the audit trail."))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea,
                             help_text=gettext_lazy("This is recorded in the audit trail."))


class UsageUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Usage file (CSV)"),
                           help_text=gettext_lazy("Columns: line, quantity, occurred_at, idempotency_key."))


class StatementForm(forms.Form):
    month = forms.CharField(label=gettext_lazy("Month"), max_length=7,
                            help_text=gettext_lazy("As YYYY-MM, e.g. 2026-03."))


def _order_or_404(request, pk):
    try:
        return selectors.order_get_for(user=request.user, order_id=pk)
    except NotFound:
        raise Http404 from None


@login_required
def order_list(request):
    orders = selectors.orders_visible_to(user=request.user)
    status = request.GET.get("status", "")
    if status:
        orders = orders.filter(status=status)
    page = Paginator(orders, 25).get_page(request.GET.get("page"))
    return render(request, "orders/list.html", {
        "page": page, "status": status, "statuses": CallOffOrder.Status.choices})


def _detail_context(request, order, **forms_in_error) -> dict:
    series = selectors.daily_spend(order=order)
    burn = selectors.burn_rate(order=order)
    side = selectors.side_of(user=request.user, order=order)
    can_approve = selectors.can_approve(user=request.user, order=order)
    usage_page = Paginator(selectors.usage_records_of(order=order), 50).get_page(request.GET.get("page"))
    chart = charts.spend_against_cap_svg(
        series=series, cap=order.cap, start=order.start_date, end=order.end_date,
        title=_("Spend against the cap of %(reference)s") % {"reference": order.reference},
        description=_("Accepted spend %(spent)s of a cap of %(cap)s %(currency)s, by day of use.") % {
            "spent": order.spent, "cap": order.cap, "currency": order.framework.currency},
    )
    percent = int(order.spent * 100 / order.cap) if order.cap else 0
    return {
        "order": order, "lines": order.lines.all(), "chart": chart, "series": series, "burn": burn,
        "percent": percent, "side": side, "can_approve": can_approve,
        "can_activate": can_approve and order.status == "draft" and order.created_by_id != request.user.pk,
        "is_drafter": order.created_by_id == request.user.pk,
        "usage_page": usage_page, "totals": selectors.usage_totals(order=order),
        "notifications": selectors.notifications_about(user=request.user, order=order)[:20],
        "statements": selectors.statements_of(order=order),
        "amendments": order.cap_amendments.select_related("amended_by"),
        "highest_cap": services.highest_cap(order),
        "amend_form": forms_in_error.get("amend_form") or AmendCapForm(),
        "terminate_form": forms_in_error.get("terminate_form") or ReasonForm(prefix="terminate"),
        "complete_form": forms_in_error.get("complete_form") or ReasonForm(prefix="complete"),
        "upload_form": forms_in_error.get("upload_form") or UsageUploadForm(),
        "statement_form": forms_in_error.get("statement_form") or StatementForm(),
        "upload_result": forms_in_error.get("upload_result"),
    }


@login_required
def order_detail(request, pk):
    order = _order_or_404(request, pk)
    return render(request, "orders/detail.html", _detail_context(request, order))


def _rerender(request, pk, status=400, **extra):
    order = _order_or_404(request, pk)
    return render(request, "orders/detail.html", _detail_context(request, order, **extra), status=status)


@login_required
@require_POST
def order_activate(request, pk):
    _order_or_404(request, pk)
    try:
        services.order_activate(actor=request.user, order_id=pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The order is active. The supplier can now post usage."))
    return redirect("orders:detail", pk=pk)


@login_required
@require_POST
def order_amend_cap(request, pk):
    _order_or_404(request, pk)
    form = AmendCapForm(request.POST)
    if form.is_valid():
        with service_errors_on(form) as outcome:
            services.order_amend_cap(actor=request.user, order_id=pk, cap=form.cleaned_data["cap"],
                                     justification=form.cleaned_data["justification"])
        if outcome.ok:
            messages.success(request, _("The cap was changed."))
            return redirect("orders:detail", pk=pk)
    return _rerender(request, pk, amend_form=form)


def _close_view(request, pk, *, prefix: str, service, done: str):
    _order_or_404(request, pk)
    form = ReasonForm(request.POST, prefix=prefix)
    if form.is_valid():
        with service_errors_on(form) as outcome:
            service(actor=request.user, order_id=pk, reason=form.cleaned_data["reason"])
        if outcome.ok:
            messages.success(request, done)
            return redirect("orders:detail", pk=pk)
    return _rerender(request, pk, **{f"{prefix}_form": form})


@login_required
@require_POST
def order_terminate(request, pk):
    return _close_view(request, pk, prefix="terminate", service=services.order_terminate,
                       done=_("The order was terminated. Usage is refused from now on."))


@login_required
@require_POST
def order_complete(request, pk):
    return _close_view(request, pk, prefix="complete", service=services.order_complete,
                       done=_("The order was completed. Usage is refused from now on."))


@login_required
@require_POST
def order_upload_usage(request, pk):
    _order_or_404(request, pk)
    form = UsageUploadForm(request.POST, request.FILES)
    if form.is_valid():
        with service_errors_on(form) as outcome:
            outcomes = services.order_upload_usage_csv(actor=request.user, order_id=pk, file=form.cleaned_data["file"])
        if outcome.ok:
            counts = Counter(row.status for row in outcomes)
            messages.success(request, _(
                "File read: %(accepted)s, %(rejected)s, %(invalid)s. Each row's outcome is listed under “Upload result”."
            ) % {
                "accepted": ngettext("%(n)s row accepted", "%(n)s rows accepted", counts["accepted"]) % {
                    "n": counts["accepted"]},
                "rejected": ngettext("%(n)s rejected", "%(n)s rejected", counts["rejected"]) % {"n": counts["rejected"]},
                "invalid": ngettext("%(n)s not valid", "%(n)s not valid", counts["invalid"]) % {"n": counts["invalid"]},
            })
            return _rerender(request, pk, status=200, upload_result=outcomes)
    return _rerender(request, pk, upload_form=form)


@login_required
@require_POST
def order_generate_statement(request, pk):
    _order_or_404(request, pk)
    form = StatementForm(request.POST)
    if form.is_valid():
        with service_errors_on(form) as outcome:
            statement = services.statement_generate(order_id=pk, month=form.cleaned_data["month"], actor=request.user)
        if outcome.ok:
            messages.success(request, _("Statement for %(month)s is ready.") % {"month": statement.month.strftime("%Y-%m")})
            return redirect("orders:detail", pk=pk)
    return _rerender(request, pk, statement_form=form)


@login_required
def order_statement_csv(request, pk, month):
    order = _order_or_404(request, pk)
    try:
        statement = selectors.statement_get(order=order, month=read_month(month))
    except DomainError:
        raise Http404 from None
    response = HttpResponse(services.statement_csv(statement=statement), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{order.reference}-{statement.month:%Y-%m}.csv"'
    return response
