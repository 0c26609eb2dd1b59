"""The listing import endpoint refuses bad input whole, with a 400 and nothing imported."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("body", [{"framework": "abc"}, [1, 2], {}], ids=["not-a-number", "json-array", "missing"])
def test_import_without_a_valid_framework_is_a_400_and_imports_nothing(supplier_user, body):
    from catalog.models import Listing

    client = APIClient()
    client.force_authenticate(supplier_user)
    before = Listing.objects.count()

    response = client.post("/api/v1/listings/import/", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["framework"] == ["Give the framework's id."]
    assert Listing.objects.count() == before


def test_import_of_a_file_that_is_not_utf8_is_refused_whole(supplier_user, lot):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.models import Listing

    client = APIClient()
    client.force_authenticate(supplier_user)
    upload = SimpleUploadedFile("listings.csv", "lot,title,summary,unit,unit_price\n1,Caf\xe9,x,vCPU-hour,0.1\n".encode("latin-1"))

    response = client.post("/api/v1/listings/import/", {"framework": lot.framework_id, "file": upload}, format="multipart")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "csv_encoding"
    assert not Listing.objects.exists()
