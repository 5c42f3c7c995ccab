"""Content-Security-Policy exceptions. The site-wide policy is CONTENT_SECURITY_POLICY in settings."""

from csp.decorators import csp_update

# Swagger UI (served from static files by drf-spectacular-sidecar, no CDN) sets style attributes
# on its elements; scripts still come only from this origin's files.
docs_policy = csp_update({"style-src": ["'unsafe-inline'"]})
