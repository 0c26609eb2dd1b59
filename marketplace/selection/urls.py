"""Buyer pages of the selection journey, mounted under /buyer/."""

from django.urls import path

from marketplace.selection.views import awards, requirements, searches

app_name = "selection"

urlpatterns = [
    path("requirements/", requirements.requirement_list, name="requirement-list"),
    path("requirements/new/", requirements.requirement_create, name="requirement-create"),
    path("requirements/<int:pk>/", requirements.requirement_detail, name="requirement-detail"),
    path("requirements/<int:pk>/edit/", requirements.requirement_edit, name="requirement-edit"),
    path("requirements/<int:pk>/criteria/<str:importance>/add/", requirements.criterion_add, name="criterion-add"),
    path("requirements/<int:pk>/criteria/<int:criterion_id>/remove/", requirements.criterion_remove, name="criterion-remove"),
    path("requirements/<int:pk>/estimates/add/", requirements.estimate_add, name="estimate-add"),
    path("requirements/<int:pk>/estimates/<int:estimate_id>/remove/", requirements.estimate_remove, name="estimate-remove"),
    path("requirements/<int:pk>/no-award/", awards.requirement_no_award, name="requirement-no-award"),
    path("searches/save/", searches.search_save, name="search-save"),
    path("searches/<int:pk>/", searches.search_detail, name="search-detail"),
    path("searches/<int:pk>/end/", searches.search_freeze, name="search-freeze"),
    path("searches/<int:pk>/export/", searches.search_export, name="search-export"),
    path("searches/<int:pk>/comparison/", searches.search_comparison, name="search-comparison"),
    path("searches/<int:pk>/comparison/download/", searches.search_comparison_download, name="search-comparison-download"),
    path("searches/<int:pk>/award/", awards.search_award, name="search-award"),
    path("searches/<int:pk>/no-award/", awards.search_no_award, name="search-no-award"),
]
