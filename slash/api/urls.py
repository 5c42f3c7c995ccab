from django.urls import path

from chatsite import strict  # noqa: F401  (registers the <id:...> converter)
from slash.api import views

app_name = "slash"

urlpatterns = [
    path("conversations/<uuid:conversation_id>/commands", views.CommandsView.as_view(), name="commands"),
    path("bots/<id:bot_id>/commands", views.BotCommandsView.as_view(), name="bot-commands"),
    path("bots/<id:bot_id>/commands/<str:name>", views.BotCommandView.as_view(), name="bot-command"),
]
