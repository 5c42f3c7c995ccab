"""Known answers: every metric of a hand-made week (known_world), on both engines."""

import pytest

from analytics import etl, metrics, raw
from analytics.backends import get_engine
from analytics.tests import known_world as w

_spark_results = {}


def compute_known(engine_name, data):
    first, replay = w.events()
    raw.write_rows(first, data)
    raw.write_rows(replay, data)
    return etl.compute(get_engine(engine_name), w.D0, w.D1, data), data


@pytest.fixture
def computed(engine_name, tmp_path_factory, db):
    """The known week computed by each engine; Spark's once per session (a run costs seconds)."""
    if engine_name == "spark":
        if "known" not in _spark_results:
            _spark_results["known"] = compute_known("spark", tmp_path_factory.mktemp("known"))
        return _spark_results["known"]
    return compute_known("sql", tmp_path_factory.mktemp("known"))


def daily(computed):
    return {(day, metric, dim): value for day, metric, dim, value in computed[0].daily}


def series(computed, metric):
    return {(day, dim): value for (day, m, dim), value in daily(computed).items() if m == metric}


def test_messages_per_day_count_each_event_once(computed):
    assert series(computed, metrics.MESSAGES) == {(w.D0, ""): 9, (w.D1, ""): 1}


def test_messages_split_by_kind_client_and_hour(computed):
    assert series(computed, metrics.MESSAGES_BY_KIND) == {
        (w.D0, "direct"): 5,
        (w.D0, "channel"): 3,
        (w.D0, "group"): 1,
        (w.D1, "channel"): 1,
    }
    assert series(computed, metrics.MESSAGES_BY_CLIENT) == {
        (w.D0, "web"): 4,
        (w.D0, "api"): 2,
        (w.D0, "unknown"): 3,
        (w.D1, "web"): 1,
    }
    assert series(computed, metrics.MESSAGES_BY_HOUR) == {
        (w.D0, "9"): 3,
        (w.D0, "10"): 2,
        (w.D0, "14"): 2,
        (w.D0, "15"): 2,
        (w.D1, "8"): 1,
    }


def test_channel_messages_count_channels_only(computed):
    assert series(computed, metrics.CHANNEL_MESSAGES) == {(w.D0, w.CH1): 3, (w.D1, w.CH1): 1}


def test_active_users_over_day_week_fortnight_and_month(computed):
    values = daily(computed)
    got = {
        (d, m): values.get((d, m, ""))
        for d in (w.D0, w.D1)
        for m in (metrics.DAU, metrics.WAU, metrics.ACTIVES_15, metrics.MAU)
    }
    assert got == {
        (w.D0, metrics.DAU): 3,
        (w.D0, metrics.WAU): 3,
        (w.D0, metrics.ACTIVES_15): 4,
        (w.D0, metrics.MAU): 5,
        (w.D1, metrics.DAU): 1,
        (w.D1, metrics.WAU): 4,
        (w.D1, metrics.ACTIVES_15): 5,
        (w.D1, metrics.MAU): 6,
    }


def test_new_users_and_reports(computed):
    assert series(computed, metrics.NEW_USERS) == {(w.D0, ""): 2}
    assert series(computed, metrics.REPORTS_OPENED) == {(w.D0, ""): 1}
    assert series(computed, metrics.REPORTS_RESOLVED) == {(w.D1, ""): 1}


def test_first_reply_in_direct_conversations_is_the_median_of_first_answers(computed):
    # dm-1: u1 twice, u2 answers 300 s after u1's first message; dm-2: u1 answers u3 after 60 s.
    assert series(computed, metrics.FIRST_REPLY_MEDIAN) == {(w.D0, ""): 180.0}
    assert series(computed, metrics.FIRST_REPLIES) == {(w.D0, ""): 2}


def test_user_days_and_signups(computed):
    assert sorted(computed[0].user_days) == [
        (w.D0, 1, 4, 5),
        (w.D0, 2, 2, 6),
        (w.D0, 3, 3, 5),
        (w.D1, 4, 1, 6),
    ]
    assert sorted(computed[0].signups) == [(2, w.D0), (3, w.D0)]


def test_reads_count_read_markers_that_moved(computed):
    assert series(computed, metrics.READS) == {(w.D0, ""): 2, (w.D1, ""): 1}


def test_held_messages_by_model_and_their_review(computed):
    assert series(computed, metrics.HELD) == {(w.D0, "spam"): 1, (w.D0, "abuse"): 1, (w.D1, "spam"): 1}
    assert series(computed, metrics.HELD_APPROVED) == {(w.D1, ""): 1}
    assert series(computed, metrics.HELD_REJECTED) == {(w.D1, ""): 1}


def test_spam_rate_is_spam_holds_over_all_sends(computed):
    # D0: 9 messages sent and 2 held, 1 of them by the spam model; D1: 1 sent, 1 held as spam.
    assert series(computed, metrics.SPAM_RATE) == {(w.D0, ""): round(1 / 11, 6), (w.D1, ""): 0.5}


def test_notification_deliveries_and_failures(computed):
    assert series(computed, metrics.NOTIFICATIONS_DELIVERED) == {(w.D0, ""): 2}
    assert series(computed, metrics.NOTIFICATIONS_FAILED) == {(w.D0, ""): 1}
