"""The API router: every app's endpoints under /api/v1/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from marketplace.api.views import MeView, TokenObtainView

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("me/", MeView.as_view(), name="api-me"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include("agreements.api.urls")),
    path("", include("audit.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("marketplace.api.selection_urls")),
    path("", include("marketplace.api.orders_urls")),
    path("", include("marketplace.api.competitions_urls")),
]
