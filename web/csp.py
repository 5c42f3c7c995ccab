"""Content-Security-Policy exceptions. The site-wide policy is CONTENT_SECURITY_POLICY in settings."""

from csp.decorators import csp_update

SWAGGER_CDN = "https://cdn.jsdelivr.net"

# Swagger UI comes from a CDN and styles itself inline; scripts still come only from files.
docs_policy = csp_update(
    {
        "script-src": [SWAGGER_CDN],
        "style-src": [SWAGGER_CDN, "'unsafe-inline'"],
        "img-src": [SWAGGER_CDN],
    }
)
