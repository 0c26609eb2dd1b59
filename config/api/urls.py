"""The API router: every app's endpoints under /api/v1/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from config.api.views import MeView, TokenObtainView
from config.security import api_docs_view, api_redoc_view

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("me/", MeView.as_view(), name="api-me"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", api_docs_view, name="api-docs"),  # own CSP: marketplace/security.py
    path("redoc/", api_redoc_view, name="api-redoc"),
    path("", include("agreements.api.urls")),
    path("", include("audit.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("marketplace.selection.api.urls")),
    path("", include("marketplace.orders.api.urls")),
    path("", include("marketplace.competitions.api.urls")),
    path("", include("marketplace.ocds.api")),
    path("", include("marketplace.oversight.api.urls")),
]
