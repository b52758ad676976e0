"""Permission-matrix rows of the Open311 module: the GeoReport endpoints are public (no login; the
POST needs an api_key, tested in test_georeport.py); the client page is for county admins only."""

from __future__ import annotations

from typing import Any

from apps.core.tests.matrix_support import ADMIN, case

PAGES = [
    case("open311_clients:list", "/open311/clients/", {ADMIN}),
    case(
        "open311_clients:create",
        "/open311/clients/new/",
        {ADMIN},
        method="post",
        data={"name": "矩阵测试客户端", "jurisdiction": "530326"},
    ),
    case("open311_clients:deactivate", "/open311/clients/{o311_client}/deactivate/", {ADMIN}, method="post"),
]

PUBLIC_PAGES = {
    "open311:discovery",
    "open311:services",
    "open311:service_definition",
    "open311:requests",
    "open311:request",
    "open311:token",
}


def records(t: dict[str, Any], users: dict[str, Any]) -> dict[str, int]:
    from apps.open311 import services

    client, _key = services.open311_client_create(
        actor=users[ADMIN], name="矩阵客户端", jurisdiction=t["county"]
    )
    return {"o311_client": client.pk}
