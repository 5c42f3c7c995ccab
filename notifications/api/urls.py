from django.urls import path

from notifications.api import views

urlpatterns = [
    path("devices", views.DevicesView.as_view()),
    path("devices/<uuid:device_id>", views.DeviceView.as_view()),
    path("notifications/webpush-key", views.WebPushKeyView.as_view()),
    path("notifications/preferences", views.PreferencesView.as_view()),
    path("notifications/phone", views.PhoneView.as_view()),
    path("notifications/phone/confirm", views.PhoneConfirmView.as_view()),
    path("notifications/unsubscribe", views.UnsubscribeView.as_view(), name="notifications-unsubscribe"),
    path("conversations/<uuid:conversation_id>/notifications", views.ConversationNotificationsView.as_view()),
    path("conversations/<uuid:conversation_id>/messages/<uuid:message_id>/alert", views.AlertView.as_view()),
]
