from django.urls import path

from accounts.api import bot_views, oidc_views, passkey_views, two_factor_views, views
from chatsite import strict  # noqa: F401  (registers the <id:...> converter)

urlpatterns = [
    path("auth/register", views.RegisterView.as_view(), name="auth-register"),
    path("auth/login", views.LoginView.as_view(), name="auth-login"),
    path("auth/login/two-factor", two_factor_views.TwoFactorLoginView.as_view(), name="auth-login-two-factor"),
    path("auth/login/passkey-options", passkey_views.LoginPasskeyOptionsView.as_view(), name="auth-login-passkey"),
    path("auth/oidc/login", oidc_views.start, name="auth-oidc-login"),
    path("auth/oidc/callback", oidc_views.callback, name="auth-oidc-callback"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/logout-all", views.LogoutAllView.as_view(), name="auth-logout-all"),
    path("auth/password", views.PasswordView.as_view(), name="auth-password"),
    path("me", views.MeView.as_view(), name="me"),
    path("me/two-factor", two_factor_views.TwoFactorView.as_view(), name="me-two-factor"),
    path("me/two-factor/enrol", two_factor_views.TwoFactorEnrolView.as_view(), name="me-two-factor-enrol"),
    path("me/two-factor/confirm", two_factor_views.TwoFactorConfirmView.as_view(), name="me-two-factor-confirm"),
    path("me/two-factor/disable", two_factor_views.TwoFactorDisableView.as_view(), name="me-two-factor-disable"),
    path("me/two-factor/recovery-codes", two_factor_views.RecoveryCodesView.as_view(), name="me-two-factor-recovery"),
    path("me/passkeys", passkey_views.PasskeysView.as_view(), name="me-passkeys"),
    path("me/passkeys/options", passkey_views.PasskeyOptionsView.as_view(), name="me-passkeys-options"),
    path("me/passkeys/<id:passkey_id>/remove", passkey_views.PasskeyRemoveView.as_view(), name="me-passkey-remove"),
    path("bots", bot_views.BotsView.as_view(), name="bots"),
    path("bots/<id:bot_id>/tokens", bot_views.BotTokensView.as_view(), name="bot-tokens"),
    path("users", views.UserSearchView.as_view(), name="users-search"),
    path("users/<id:user_id>", views.UserView.as_view(), name="users-detail"),
]
