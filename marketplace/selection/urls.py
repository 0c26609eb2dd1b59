"""Buyer pages of the selection journey, mounted under /buyer/."""

from django.urls import path

from marketplace.selection import views

app_name = "selection"

urlpatterns = [
    path("requirements/", views.requirement_list, name="requirement-list"),
    path("requirements/new/", views.requirement_create, name="requirement-create"),
    path("requirements/<int:pk>/", views.requirement_detail, name="requirement-detail"),
    path("requirements/<int:pk>/edit/", views.requirement_edit, name="requirement-edit"),
    path("requirements/<int:pk>/criteria/<str:importance>/add/", views.criterion_add, name="criterion-add"),
    path("requirements/<int:pk>/criteria/<int:criterion_id>/remove/", views.criterion_remove, name="criterion-remove"),
    path("requirements/<int:pk>/estimates/add/", views.estimate_add, name="estimate-add"),
    path("requirements/<int:pk>/estimates/<int:estimate_id>/remove/", views.estimate_remove, name="estimate-remove"),
    path("requirements/<int:pk>/no-award/", views.requirement_no_award, name="requirement-no-award"),
    path("searches/save/", views.search_save, name="search-save"),
    path("searches/<int:pk>/", views.search_detail, name="search-detail"),
    path("searches/<int:pk>/end/", views.search_freeze, name="search-freeze"),
    path("searches/<int:pk>/export/", views.search_export, name="search-export"),
    path("searches/<int:pk>/comparison/", views.search_comparison, name="search-comparison"),
    path("searches/<int:pk>/comparison/download/", views.search_comparison_download, name="search-comparison-download"),
    path("searches/<int:pk>/award/", views.search_award, name="search-award"),
    path("searches/<int:pk>/no-award/", views.search_no_award, name="search-no-award"),
]
