from django.urls import path

from accounts.api import views
from chatsite import strict  # noqa: F401  (registers the <id:...> converter)

urlpatterns = [
    path("auth/register", views.RegisterView.as_view(), name="auth-register"),
    path("auth/login", views.LoginView.as_view(), name="auth-login"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/logout-all", views.LogoutAllView.as_view(), name="auth-logout-all"),
    path("auth/password", views.PasswordView.as_view(), name="auth-password"),
    path("me", views.MeView.as_view(), name="me"),
    path("users", views.UserSearchView.as_view(), name="users-search"),
    path("users/<id:user_id>", views.UserView.as_view(), name="users-detail"),
]
