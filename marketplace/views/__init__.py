from django.shortcuts import render

from agreements.selectors import frameworks_visible_to


def home(request):
    frameworks = frameworks_visible_to(user=request.user).order_by("reference")
    return render(request, "marketplace/home.html", {"frameworks": frameworks})
