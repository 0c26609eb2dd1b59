from django.urls import path

from agreements.api.views import FrameworkDetailView, FrameworkListView

urlpatterns = [
    path("frameworks/", FrameworkListView.as_view(), name="api-framework-list"),
    path("frameworks/<int:pk>/", FrameworkDetailView.as_view(), name="api-framework-detail"),
]
