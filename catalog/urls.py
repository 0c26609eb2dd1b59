from django.urls import path

from catalog.views import pages as views

app_name = "catalog"

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("listings/<int:pk>/", views.listing_page, name="listing"),
    path("supplier/listings/", views.my_listings, name="my-listings"),
    path("supplier/listings/new/", views.listing_create_page, name="listing-create"),
    path("supplier/listings/import/", views.import_page, name="listing-import"),
    path("supplier/listings/import/template.csv", views.import_template, name="listing-import-template"),
    path("supplier/listings/<int:pk>/edit/", views.listing_edit_page, name="listing-edit"),
    path("supplier/listings/<int:pk>/preview/", views.listing_preview_page, name="listing-preview"),
    path("listings/<int:pk>/<str:action>/", views.listing_action, name="listing-action"),
    path("review/", views.review_page, name="review"),
]
