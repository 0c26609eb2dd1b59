from agreements.selectors import organization_of, roles_of
from marketplace.notifications.selectors import unread_count


def organization(request):
    """Expose the signed-in user's organization, roles and unread notification count to every template."""
    user = getattr(request, "user", None)
    return {"current_organization": organization_of(user), "current_roles": roles_of(user),
            "unread_notifications": unread_count(user=user)}
