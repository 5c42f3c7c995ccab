from django.urls import path

from portability.api import views

app_name = "portability"

urlpatterns = [
    path("me/exports", views.ExportsView.as_view(), name="exports"),
    path("me/exports/<uuid:export_id>", views.ExportView.as_view(), name="export"),
    path("me/exports/<uuid:export_id>/download", views.DownloadView.as_view(), name="download"),
]
