from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from marketplace import views
from marketplace.security import ThrottledLoginView
from marketplace.views.notifications import notification_list, notification_read

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("marketplace.api.urls")),
    path("orders/", include("marketplace.urls_orders")),
    path("notifications/", notification_list, name="notifications"),
    path("notifications/read/", notification_read, name="notifications-read"),
    path("", include("catalog.urls")),
    path("competitions/", include("marketplace.urls_competitions")),
    path("buyer/", include("marketplace.urls_selection")),
    path("oversight/", include("marketplace.urls_oversight")),
]
