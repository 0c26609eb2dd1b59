from django.urls import path

from catalog.api.views import (
    CategoryTreeView,
    ListingActionView,
    ListingCollectionView,
    ListingDetailView,
    ListingImportView,
)

urlpatterns = [
    path("categories/", CategoryTreeView.as_view(), name="api-category-tree"),
    path("listings/", ListingCollectionView.as_view(), name="api-listing-list"),
    path("listings/import/", ListingImportView.as_view(), name="api-listing-import"),
    path("listings/<int:pk>/", ListingDetailView.as_view(), name="api-listing-detail"),
]
for _action in ("submit", "publish", "reject", "withdraw", "suspend", "reinstate", "stock"):
    urlpatterns.append(path(f"listings/<int:pk>/{_action}/", ListingActionView.as_view(action=_action),
                            name=f"api-listing-{_action}"))
