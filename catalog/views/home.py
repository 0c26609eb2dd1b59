from django.shortcuts import render

from agreements.selectors import frameworks_visible_to
from catalog.selectors import categories_tree


def home(request):
    """"What do you need?": a search box and the need categories, each a link to its results."""
    frameworks = frameworks_visible_to(user=request.user).order_by("reference")
    return render(request, "catalog/home.html", {"frameworks": frameworks, "needs": categories_tree()})
