from django.urls import path

from chatsite import strict  # noqa: F401  (registers the <id:...> converter)
from integrations.api import views

conv = "conversations/<uuid:conversation_id>"

urlpatterns = [
    path(f"{conv}/webhooks", views.IncomingWebhooksView.as_view(), name="webhooks-incoming"),
    path(f"{conv}/webhooks/<id:hook_id>", views.IncomingWebhookView.as_view(), name="webhook-incoming"),
    path(f"{conv}/outgoing-webhooks", views.OutgoingWebhooksView.as_view(), name="webhooks-outgoing"),
    path(f"{conv}/outgoing-webhooks/<id:hook_id>", views.OutgoingWebhookView.as_view(), name="webhook-outgoing"),
    path("hooks/<str:secret>", views.IncomingPostView.as_view(), name="webhook-incoming-post"),
]
