from django.contrib.admin.apps import AdminConfig


class ChatAdminConfig(AdminConfig):
    """django.contrib.admin with the site that asks for the second factor (accounts.admin_site)."""

    default_site = "accounts.admin_site.ChatAdminSite"
