"""The API router: every app's endpoints under /api/v1/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from marketplace.api.views import MeView, TokenObtainView
from marketplace.security import api_docs_view, api_redoc_view

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("me/", MeView.as_view(), name="api-me"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", api_docs_view, name="api-docs"),  # own CSP: marketplace/security.py
    path("redoc/", api_redoc_view, name="api-redoc"),
    path("", include("agreements.api.urls")),
    path("", include("audit.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("marketplace.api.selection_urls")),
    path("", include("marketplace.api.orders_urls")),
    path("", include("marketplace.api.competitions_urls")),
    path("", include("marketplace.api.ocds")),
    path("", include("marketplace.api.oversight_urls")),
]
