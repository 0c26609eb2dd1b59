from django.urls import path

from catalog.views import imports, listing, review, search, supplier

app_name = "catalog"

urlpatterns = [
    path("search/", search.search_page, name="search"),
    path("listings/<int:pk>/", listing.listing_page, name="listing"),
    path("supplier/listings/", supplier.my_listings, name="my-listings"),
    path("supplier/listings/new/", supplier.listing_create_page, name="listing-create"),
    path("supplier/listings/import/", imports.import_page, name="listing-import"),
    path("supplier/listings/import/template.csv", imports.import_template, name="listing-import-template"),
    path("supplier/listings/<int:pk>/edit/", supplier.listing_edit_page, name="listing-edit"),
    path("supplier/listings/<int:pk>/preview/", supplier.listing_preview_page, name="listing-preview"),
    path("listings/<int:pk>/<str:action>/", listing.listing_action, name="listing-action"),
    path("review/", review.review_page, name="review"),
]
