from rest_framework import serializers

from accounts.api.serializers import PublicProfileSerializer


class BlockSerializer(serializers.Serializer):
    user = PublicProfileSerializer(source="blocked")
    created_at = serializers.DateTimeField()


class BlockListSerializer(serializers.Serializer):
    results = BlockSerializer(many=True)


# --- follows, friends, requests, suggestions, paths ---


class PageQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=200, default=50)
    cursor = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, help_text="`next_cursor` of the previous page."
    )


class SuggestionsQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


class ConnectionSerializer(serializers.Serializer):
    """Someone on one of my lists, and since when (followed, friends, or asked)."""

    user = PublicProfileSerializer()
    since = serializers.DateTimeField()


class ConnectionPageSerializer(serializers.Serializer):
    results = ConnectionSerializer(many=True)
    next_cursor = serializers.IntegerField(allow_null=True, help_text="Pass as `cursor` for the next page; null: none.")


class FriendRequestOutSerializer(serializers.Serializer):
    user = PublicProfileSerializer()
    status = serializers.ChoiceField(
        choices=["pending", "friends"],
        help_text="friends: they had already asked you, so this accepted their request.",
    )
    since = serializers.DateTimeField()


class SuggestionSerializer(serializers.Serializer):
    user = PublicProfileSerializer()
    mutual_friends = serializers.IntegerField(source="suggestion.mutual_friends")
    shared_conversations = serializers.IntegerField(source="suggestion.shared_conversations")
    reason = serializers.CharField(
        source="suggestion.reason", help_text='e.g. "2 mutual friends · 1 shared conversation"'
    )


class SuggestionListSerializer(serializers.Serializer):
    results = SuggestionSerializer(many=True)


class PathSerializer(serializers.Serializer):
    degrees = serializers.IntegerField(help_text="Friendships between the two: 1 for friends, 0 for yourself.")
    path = PublicProfileSerializer(many=True, help_text="From you to them, both included.")
