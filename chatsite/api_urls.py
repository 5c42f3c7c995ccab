"""Every app's REST routes under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("graph.api.urls")),
    path("", include("chats.api.urls")),
    path("", include("moderation.api.urls")),
    path("", include("files.api.urls")),
    path("", include("integrations.api.urls")),
    path("", include("portability.api.urls")),
    path("", include("slash.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("analytics.api.urls")),
]
