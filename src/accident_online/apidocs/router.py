"""The interactive docs remote liability officers work in: Swagger UI at /docs, ReDoc at
/redoc, served entirely by the service.

Officers sit on a police intranet: FastAPI's default pages load Swagger UI from a public
CDN and stay blank there. The assets come from the PyPI package fastapi-offline, which
ships Swagger UI's and ReDoc's release bundles and is installed like every other
dependency: no Node.js in the build, the Docker image or an intranet's wheelhouse, and
one version pin to keep current. (swagger-ui-bundle on PyPI stopped at Swagger UI 4;
vendoring npm's swagger-ui-dist would add an npm step to every build for a few newer
minor versions.) The service mounts that package's files under ``/docs/assets/vendor``
through its public ``FastAPIOffline(static_url=...)``; the pages themselves are ours.

Every page forbids framing and any request to another origin (Content-Security-Policy):
Swagger UI's validator badge is off, ReDoc's web fonts are not linked, and the inline
scripts FastAPI writes are allowed by their hashes only.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSETS_URL = "/docs/assets"
VENDOR_ASSETS_URL = f"{ASSETS_URL}/vendor"
PAGE_TITLE = "accident-online 远程定责"

# Whatever else the app asks of Swagger UI, it never calls validator.swagger.io.
_OFFLINE_SWAGGER_PARAMETERS: dict[str, Any] = {"validatorUrl": None}
_FAVICON = (Path(__file__).parent / "favicon.svg").read_bytes()
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)

router = APIRouter(include_in_schema=False)


def content_security_policy(html: str) -> str:
    """Same origin only; inline scripts by the hash of exactly the ones on the page."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in _INLINE_SCRIPT.findall(html)
    )
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src 'self' {hashes}".strip(),
            # Swagger UI and ReDoc set style attributes and inject <style> elements.
            "style-src 'self' 'unsafe-inline'",
            # data: for Swagger UI's icons, blob: for a downloaded response body.
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            # ReDoc's search runs in a worker made from a blob.
            "worker-src 'self' blob:",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


def _page(html: str) -> HTMLResponse:
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": content_security_policy(html),
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get(DOCS_URL)
async def swagger_ui(request: Request) -> HTMLResponse:
    app: FastAPI = request.app
    root = _root(request)
    html = get_swagger_ui_html(
        openapi_url=f"{root}{app.openapi_url}",
        title=PAGE_TITLE,
        swagger_js_url=f"{root}{VENDOR_ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{VENDOR_ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.svg",
        oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_URL}",
        swagger_ui_parameters={**(app.swagger_ui_parameters or {}), **_OFFLINE_SWAGGER_PARAMETERS},
    )
    return _page(bytes(html.body).decode())


@router.get(OAUTH2_REDIRECT_URL)
async def swagger_ui_oauth2_redirect() -> HTMLResponse:
    return _page(bytes(get_swagger_ui_oauth2_redirect_html().body).decode())


@router.get(REDOC_URL)
async def redoc(request: Request) -> HTMLResponse:
    app: FastAPI = request.app
    root = _root(request)
    html = get_redoc_html(
        openapi_url=f"{root}{app.openapi_url}",
        title=PAGE_TITLE,
        redoc_js_url=f"{root}{VENDOR_ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.svg",
        with_google_fonts=False,
    )
    return _page(bytes(html.body).decode())


@router.get(f"{ASSETS_URL}/favicon.svg")
async def favicon() -> Response:
    return Response(
        _FAVICON,
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
