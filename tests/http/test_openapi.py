"""The OpenAPI document: served, 3.1, camelCase, and every route documents its errors."""

from __future__ import annotations

from http_api import Api

# Routes that take no bearer token and have no 401 to document.
PUBLIC = {("post", "/api/v1/auth/request-otp")}


async def test_openapi_document_documents_errors_for_every_route(api: Api) -> None:
    response = await api.client.get("/api/v1/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) >= 13
    for path, method, operation in operations:
        statuses = set(operation["responses"])
        assert {"500", "503"} <= statuses, (method, path)
        if path.startswith("/api/v1/webhooks/"):
            assert "403" in statuses, (method, path)  # signed by the provider, not a bearer token
        elif path.startswith("/api/v1") and (method, path) not in PUBLIC:
            assert "401" in statuses, (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= statuses, (method, path)
    schemas = document["components"]["schemas"]
    assert "timeZone" in schemas["ClinicOut"]["properties"]
    assert "time_zone" not in schemas["ClinicOut"]["properties"]


async def test_docs_page_is_served(api: Api) -> None:
    response = await api.client.get("/api/v1/schema")
    assert response.status_code == 200
    assert "html" in response.headers["content-type"]


async def test_no_response_schema_carries_hashes_secrets_or_codes(api: Api) -> None:
    document = (await api.client.get("/api/v1/schema/openapi.json")).json()
    forbidden = ("hash", "secret", "password", "sealed", "otp", "code")
    # Token pairs are the one place a client receives credentials, and the error envelope names
    # its stable error code.
    # A prescription's verification answers with its content hash (salted, so it reveals nothing).
    allowed = {
        ("TokenOut", "accessToken"),
        ("TokenOut", "refreshToken"),
        ("ErrorBody", "code"),
        ("PrescriptionVerificationOut", "contentHash"),
    }
    leaks = [
        (name, prop)
        for name, schema in document["components"]["schemas"].items()
        if not name.endswith("In")  # request bodies: a client sends its code, it is not sent back
        for prop in schema.get("properties", {})
        if any(word in prop.lower() for word in forbidden) and (name, prop) not in allowed
    ]
    assert leaks == []
