from django.urls import path

from marketplace.notifications.views import notification_list, notification_read

# No namespace: every page's header names these ("notifications", "notifications-read").
urlpatterns = [
    path("", notification_list, name="notifications"),
    path("read/", notification_read, name="notifications-read"),
]
