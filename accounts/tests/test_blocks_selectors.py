"""The functions other apps call: graph.actions and graph.selectors."""

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from accounts.models import Block
from accounts.selectors import block_lists, blocked_ids, blocker_ids, either_blocked, is_blocked, socket_standing
from chatsite.api_errors import ApiError
from graph.actions import check_block, do_block, do_unblock
from streaming.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def users():
    make = get_user_model().objects.create_user
    return [make(username=name, password="plum-Orchard-42-violet") for name in ("ann", "ben", "cat", "dan")]


def test_is_blocked_is_one_way(users):
    ann, ben, *_ = users
    do_block(ann, ben)
    assert is_blocked(ann.id, ben.id)
    assert not is_blocked(ben.id, ann.id)


def test_either_blocked_sees_both_directions(users):
    ann, ben, cat, _ = users
    do_block(ann, ben)
    assert either_blocked(ann.id, ben.id)
    assert either_blocked(ben.id, ann.id)
    assert not either_blocked(ann.id, cat.id)


def test_blocked_ids_and_blocker_ids(users):
    ann, ben, cat, dan = users
    do_block(ann, ben)
    do_block(ann, cat)
    do_block(dan, ann)
    assert blocked_ids(ann.id) == {ben.id, cat.id}
    assert blocker_ids(ann.id) == {dan.id}
    assert blocker_ids(ben.id) == {ann.id}
    assert blocked_ids(ben.id) == set()


def test_each_selector_is_one_query(users, django_assert_num_queries):
    ann, ben, cat, _ = users
    do_block(ann, ben)
    do_block(cat, ann)
    for call in (
        lambda: is_blocked(ann.id, ben.id),
        lambda: either_blocked(ann.id, ben.id),
        lambda: blocked_ids(ann.id),
        lambda: blocker_ids(ann.id),
    ):
        with django_assert_num_queries(1):
            call()


def test_a_socket_reads_its_users_block_lists_and_standing_in_one_query(users, django_assert_num_queries):
    ann, ben, cat, dan = users
    do_block(ann, ben)
    do_block(ann, cat)
    do_block(dan, ann)
    with django_assert_num_queries(1):
        assert socket_standing(ann.id) == ({ben.id, cat.id}, {dan.id})
    assert socket_standing(cat.id) == (set(), {ann.id})
    assert block_lists(ann.id) == ({ben.id, cat.id}, {dan.id})


def test_a_disabled_account_has_no_standing_for_a_socket(users):
    ann, ben, *_ = users
    do_block(ann, ben)
    ann.is_active = False
    ann.save(update_fields=["is_active"])
    assert socket_standing(ann.id) is None
    assert block_lists(ann.id) == ({ben.id}, set())  # a reload still reads them


def test_do_block_emits_graph_blocked_keyed_by_the_blocker(users):
    ann, ben, *_ = users
    block, created = do_block(ann, ben)
    assert created and block.blocker == ann
    event = OutboxEvent.objects.get(type="graph.blocked")
    assert event.key == str(ann.id)
    assert event.actor_id == ann.id
    assert event.payload == {"blocker_id": ann.id, "blocked_id": ben.id}


def test_do_block_twice_is_one_block_and_one_event(users):
    ann, ben, *_ = users
    first, _ = do_block(ann, ben)
    again, created = do_block(ann, ben)
    assert not created and again.pk == first.pk
    assert OutboxEvent.objects.filter(type="graph.blocked").count() == 1


def test_do_unblock_emits_once_and_reports_whether_there_was_a_block(users):
    ann, ben, *_ = users
    do_block(ann, ben)
    assert do_unblock(ann, ben) is True
    assert do_unblock(ann, ben) is False
    event = OutboxEvent.objects.get(type="graph.unblocked")
    assert event.key == str(ann.id)
    assert event.payload == {"blocker_id": ann.id, "blocked_id": ben.id}


def test_check_block_refuses_self(users):
    with pytest.raises(ApiError) as caught:
        check_block(users[0], users[0])
    assert caught.value.code == "cannot_block_self"
    check_block(users[0], users[1])


def test_the_database_refuses_a_self_block_and_a_duplicate_pair(users):
    ann, ben, *_ = users
    with pytest.raises(IntegrityError), transaction.atomic():
        Block.objects.create(blocker=ann, blocked=ann)
    Block.objects.create(blocker=ann, blocked=ben)
    with pytest.raises(IntegrityError), transaction.atomic():
        Block.objects.create(blocker=ann, blocked=ben)


def test_blocks_go_with_either_user(users):
    ann, ben, cat, _ = users
    do_block(ann, ben)
    do_block(cat, ann)
    ann.delete()
    assert not Block.objects.exists()


def test_block_lists_are_whom_the_user_blocked_and_who_blocked_the_user(users):
    ann, ben, cat, dan = users
    do_block(ann, ben)
    do_block(cat, ann)
    do_block(ann, dan)
    do_block(dan, ann)
    do_block(ben, cat)  # not ann's
    assert block_lists(ann.id) == ({ben.id, dan.id}, {cat.id, dan.id})
    assert block_lists(ann.id) == (blocked_ids(ann.id), blocker_ids(ann.id))
