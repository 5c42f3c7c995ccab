from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import user_or_404
from chatsite.api_errors import error_responses
from graph import actions, selectors
from graph.api.serializers import BlockListSerializer, BlockSerializer


class BlockListView(APIView):
    @extend_schema(
        operation_id="blocks_list",
        responses={200: BlockListSerializer, **error_responses(401)},
        summary="Whom I blocked, newest first",
    )
    def get(self, request):
        blocks = selectors.blocks_made(request.user.pk)
        return Response({"results": BlockSerializer(blocks, many=True).data})


class BlockView(APIView):
    @extend_schema(
        operation_id="blocks_put",
        request=None,
        responses={201: BlockSerializer, 200: BlockSerializer, **error_responses(400, 401, 404)},
        summary="Block a user (201 when new, 200 when already blocked)",
    )
    def put(self, request, user_id):
        target = _target(user_id)
        actions.check_block(request.user, target)
        block, created = actions.do_block(request.user, target)
        return Response(BlockSerializer(block).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        operation_id="blocks_delete",
        responses={204: None, **error_responses(401, 404)},
        summary="Unblock a user (204 whether or not they were blocked)",
    )
    def delete(self, request, user_id):
        actions.do_unblock(request.user, _target(user_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _target(user_id):
    # Deactivated users stay blockable and unblockable: a block outlives a suspension.
    return user_or_404(user_id, include_inactive=True)
