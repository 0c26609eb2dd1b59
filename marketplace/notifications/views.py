"""The signed-in user's notifications: list and mark read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from common.http import safe_next
from common.parsing import FieldErrors, read_row_id
from marketplace.notifications.selectors import notifications_of
from marketplace.notifications.services import notifications_mark_read


@login_required
def notification_list(request):
    page = Paginator(notifications_of(user=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def notification_read(request):
    """Mark one (``id``) or all read, then follow the notification's link when asked (``next``)."""
    errors = FieldErrors()
    notification_id = read_row_id(request.POST.get("id"), field="id", errors=errors, required=False)
    # An id that names no row marks nothing (rather than everything).
    changed = 0 if errors else notifications_mark_read(user=request.user, notification_id=notification_id)
    target = safe_next(request)
    if target:
        return redirect(target)
    if not request.POST.get("id"):
        messages.success(request, ngettext("%(count)s notification marked as read.",
                                           "%(count)s notifications marked as read.", changed) % {"count": changed})
    return redirect("notifications")
