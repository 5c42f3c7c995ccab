"""Request bodies and query strings of the chat API."""

from rest_framework import serializers

from chats.models import Conversation, Membership
from chatsite.strict import MAX_ID, IdField, StrictSerializer, TextField, validate_visible_text


class CreateConversationIn(StrictSerializer):
    kind = serializers.ChoiceField(choices=[Conversation.Kind.GROUP, Conversation.Kind.CHANNEL])
    title = TextField(max_length=100, single_line=True, validators=[validate_visible_text])
    topic = TextField(max_length=250, single_line=True, required=False, allow_blank=True, default="")
    is_public = serializers.BooleanField(required=False, default=False)
    member_ids = serializers.ListField(child=IdField(), required=False, default=list, max_length=500)


class OpenDirectIn(StrictSerializer):
    user_id = IdField()


class UpdateConversationIn(StrictSerializer):
    title = TextField(max_length=100, single_line=True, required=False, validators=[validate_visible_text])
    topic = TextField(max_length=250, single_line=True, required=False, allow_blank=True)


class InviteIn(StrictSerializer):
    user_id = IdField()


class RoleIn(StrictSerializer):
    role = serializers.ChoiceField(choices=[Membership.Role.ADMIN, Membership.Role.MEMBER])


class SendIn(StrictSerializer):
    client_id = TextField(max_length=64, help_text="Made by the client; a retry with the same id is safe.")
    text = TextField(max_length=100_000, trim_whitespace=False, allow_blank=True)
    parent_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    thread_root = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="Reply in the thread of this top-level message."
    )
    attachment_ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        default=list,
        max_length=10,
        help_text="Your uploads (POST /api/v1/uploads) not yet sent; the text may then be empty.",
    )


class EditIn(StrictSerializer):
    text = TextField(max_length=100_000, trim_whitespace=False)


class ReadIn(StrictSerializer):
    seq = serializers.IntegerField(min_value=0, max_value=MAX_ID)


class PageQuery(serializers.Serializer):
    before = serializers.IntegerField(min_value=1, required=False, max_value=MAX_ID)
    after = serializers.IntegerField(min_value=0, required=False, max_value=MAX_ID)
    around = serializers.IntegerField(min_value=1, required=False, max_value=MAX_ID)
    limit = serializers.IntegerField(min_value=1, max_value=100, default=50)
    top_level = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Leave thread replies out (the main log): a page is then `limit` top-level messages. "
        "Seqs still count replies, so before/after/around and the events by seq work as without it.",
    )

    def validate(self, attrs):
        if sum(k in attrs for k in ("before", "after", "around")) > 1:
            raise serializers.ValidationError("Give at most one of before, after and around.")
        return attrs


class ThreadQuery(serializers.Serializer):
    before = serializers.IntegerField(min_value=1, required=False, max_value=MAX_ID)
    after = serializers.IntegerField(min_value=0, required=False, max_value=MAX_ID)
    limit = serializers.IntegerField(min_value=1, max_value=100, default=50)

    def validate(self, attrs):
        if "before" in attrs and "after" in attrs:
            raise serializers.ValidationError("Give at most one of before and after.")
        return attrs


class FollowedQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=100, default=50)


class EventsQuery(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, max_value=MAX_ID)
    limit = serializers.IntegerField(min_value=1, max_value=500, default=100)


class SearchQuery(serializers.Serializer):
    q = serializers.CharField(min_length=1, max_length=200)
    limit = serializers.IntegerField(min_value=1, max_value=100, default=20)


class ChannelQuery(serializers.Serializer):
    q = serializers.CharField(max_length=100, required=False, default="")
    limit = serializers.IntegerField(min_value=1, max_value=100, default=50)
