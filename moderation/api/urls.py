from django.urls import path

from moderation.api import views

urlpatterns = [
    path("conversations/<uuid:conversation_id>/messages/<uuid:message_id>/report", views.ReportView.as_view()),
]
