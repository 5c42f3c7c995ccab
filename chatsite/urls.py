from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from chatsite import health
from chatsite.api_errors import json_error_view
from web.csp import docs_policy

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/analytics/", include("analytics.dashboard")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so the page needs no inline script.
    path("api/docs/", docs_policy(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="swagger-ui"),
    path("api/v1/", include("chatsite.api_urls")),
    path("", include("web.urls")),
]

handler404 = json_error_view("not_found", "Not found.", 404)
handler500 = json_error_view("server_error", "Internal server error.", 500)
handler400 = json_error_view("bad_request", "Bad request.", 400)
handler403 = json_error_view("forbidden", "Forbidden.", 403)
