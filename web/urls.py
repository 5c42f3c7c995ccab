from django.urls import path

from web import views

urlpatterns = [
    path("", views.client, name="web-client"),
    path("sw.js", views.service_worker, name="web-service-worker"),
    path("c/<uuid:conversation_id>", views.client, name="web-conversation"),
    path("c/<uuid:conversation_id>/<int:seq>", views.client, name="web-message"),
]
