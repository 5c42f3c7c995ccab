from django.urls import path

from graph.api import views

urlpatterns = [
    path("blocks", views.BlockListView.as_view(), name="blocks-list"),
    path("blocks/<int:user_id>", views.BlockView.as_view(), name="blocks-detail"),
]
