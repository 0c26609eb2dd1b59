from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from catalog.views.home import home
from config.health import healthz, readyz
from config.security import ThrottledLoginView

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api.urls")),
    path("orders/", include("marketplace.orders.urls")),
    path("notifications/", include("marketplace.notifications.urls")),
    path("", include("catalog.urls")),
    path("competitions/", include("marketplace.competitions.urls")),
    path("buyer/", include("marketplace.selection.urls")),
    path("oversight/", include("marketplace.oversight.urls")),
]
