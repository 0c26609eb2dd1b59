"""Every write in the catalog. Import from here: ``from catalog.services import listing_publish``."""

from catalog.services.categories import category_create
from catalog.services.imports import import_template_csv, listings_import_csv
from catalog.services.listings import (
    ListingData,
    build_version,
    clean_draft,
    content_hash,
    listing_check_editable,
    listing_create,
    listing_publish,
    listing_reinstate,
    listing_reject,
    listing_set_stock,
    listing_submit,
    listing_suspend,
    listing_update,
    listing_withdraw,
)

__all__ = [
    "ListingData", "build_version", "category_create", "clean_draft", "content_hash", "listing_check_editable", "listing_create",
    "listing_publish", "listing_reinstate", "listing_reject", "listing_set_stock", "listing_submit",
    "listing_suspend", "listing_update", "listing_withdraw", "listings_import_csv", "import_template_csv",
]
