from django.urls import path

from chatsite import strict  # noqa: F401  (registers the <id:...> converter)
from files.api import avatar_views, views

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
    path("me/avatar", avatar_views.MyAvatarView.as_view(), name="my-avatar"),
    path("users/<id:user_id>/avatar", avatar_views.UserAvatarView.as_view(), name="user-avatar"),
    path("previews/<uuid:preview_id>/image", views.PreviewImageView.as_view(), name="preview-image"),
]
