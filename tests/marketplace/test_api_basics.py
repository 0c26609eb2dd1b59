import pytest
from rest_framework.authtoken.models import Token

from agreements.models import Membership, Organization
from tests.factories import member

pytestmark = pytest.mark.django_db


def test_token_login_then_me_returns_user_organization_and_roles(api_client):
    user = member(Organization.Kind.BUYER, Membership.Role.REQUESTER, Membership.Role.APPROVER, username="ana")
    organization = user.memberships.first().organization

    response = api_client.post("/api/v1/auth/token/", {"username": "ana", "password": "secret-pass-123"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=user).key == token

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json() == {
        "username": "ana",
        "organization": {"id": organization.pk, "name": organization.name, "kind": "buyer"},
        "roles": ["approver", "requester"],
    }


def test_wrong_password_gives_validation_error_shape_and_no_token(api_client):
    user = member(Organization.Kind.BUYER, username="bob")
    response = api_client.post("/api/v1/auth/token/", {"username": "bob", "password": "wrong"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert body["error"]["message"]
    assert "non_field_errors" in body["error"]["fields"]
    assert not Token.objects.filter(user=user).exists()


def test_missing_token_is_401_with_error_shape(api_client):
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_bad_token_is_401_authentication_failed(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_unknown_framework_is_404_with_error_shape(api_client):
    response = api_client.get("/api/v1/frameworks/999999/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_every_operation_documents_the_error_shape(api_client):
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    error = schema["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message", "fields"]
    usage = schema["paths"]["/api/v1/orders/{id}/usage/"]["post"]["responses"]
    assert usage["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "409" in usage and "201" in usage
    assert "409" not in schema["paths"]["/api/v1/frameworks/"]["get"]["responses"]  # reads cannot conflict
    operations = [op for item in schema["paths"].values() for op in item.values() if isinstance(op, dict)]
    assert operations and all({"400", "401", "403", "404"} <= set(op["responses"]) for op in operations)


def test_schema_and_docs_are_served_without_network_assets(api_client):
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/frameworks/" in schema.json()["paths"]
    docs = api_client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html
