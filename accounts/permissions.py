from rest_framework.permissions import BasePermission


class TokenScopePermission(BasePermission):
    """Every API view's second permission: a bot's token does only what its scopes allow."""

    def has_permission(self, request, view):
        # Imported here: DRF loads this class while chatsite.api_errors is still being imported.
        from accounts.bots import check_token_scope

        check_token_scope(request)
        return True
