from django.urls import path

from files.api import views

app_name = "files"

urlpatterns = [
    path("uploads", views.UploadsView.as_view(), name="uploads"),
    path("uploads/presign", views.PresignView.as_view(), name="presign"),
    path("uploads/blob/<str:token>", views.BlobUploadView.as_view(), name="blob"),
    path("uploads/<uuid:upload_id>", views.UploadView.as_view(), name="upload"),
    path("uploads/<uuid:upload_id>/confirm", views.ConfirmView.as_view(), name="confirm"),
    path("files/<uuid:upload_id>", views.DownloadView.as_view(), name="download"),
    path("files/<uuid:upload_id>/link", views.LinkView.as_view(), name="link"),
    path("media/<str:token>", views.MediaView.as_view(), name="media"),
    path("previews/<uuid:preview_id>/image", views.PreviewImageView.as_view(), name="preview-image"),
]
