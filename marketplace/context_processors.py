from agreements.selectors import organization_of, roles_of


def organization(request):
    """Expose the signed-in user's organization and roles to every template."""
    user = getattr(request, "user", None)
    return {"current_organization": organization_of(user), "current_roles": roles_of(user)}
