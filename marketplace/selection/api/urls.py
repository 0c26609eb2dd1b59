from django.urls import path

from marketplace.selection.api import views

urlpatterns = [
    path("requirements/", views.RequirementListCreateView.as_view(), name="api-requirement-list"),
    path("requirements/<int:pk>/", views.RequirementDetailView.as_view(), name="api-requirement-detail"),
    path("requirements/<int:pk>/no-award/", views.RequirementNoAwardView.as_view(), name="api-requirement-no-award"),
    path("searches/", views.SearchListCreateView.as_view(), name="api-search-list"),
    path("searches/<int:pk>/", views.SearchDetailView.as_view(), name="api-search-detail"),
    path("searches/<int:pk>/freeze/", views.SearchFreezeView.as_view(), name="api-search-freeze"),
    path("searches/<int:pk>/export/", views.SearchExportView.as_view(), name="api-search-export"),
    path("searches/<int:pk>/comparison/", views.SearchComparisonView.as_view(), name="api-search-comparison"),
    path("searches/<int:pk>/award/", views.SearchAwardView.as_view(), name="api-search-award"),
    path("searches/<int:pk>/no-award/", views.SearchNoAwardView.as_view(), name="api-search-no-award"),
]
