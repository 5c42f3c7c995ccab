"""The batch job as the scheduler and operators run it: load, rerun, and the command."""

import pytest
from django.core.management import CommandError, call_command

from analytics import etl, metrics, raw
from analytics.models import DailyMetric, Signup, UserDay
from analytics.tests import known_world as w


@pytest.fixture
def known_raw(data_dir):
    first, replay = w.events()
    raw.write_rows(first)
    raw.write_rows(replay)
    return data_dir


def table_snapshot():
    return (
        sorted(DailyMetric.objects.values_list("day", "metric", "dim", "value")),
        sorted(UserDay.objects.values_list("day", "user_id", "messages", "events")),
        sorted(Signup.objects.values_list("user_id", "day")),
    )


def test_rerunning_a_day_replaces_its_rows(db, known_raw):
    etl.run(w.D0, w.D1)
    once = table_snapshot()
    etl.run(w.D0, w.D1)
    etl.run(w.D1, w.D1)
    assert table_snapshot() == once
    assert DailyMetric.objects.get(day=w.D0, metric=metrics.MESSAGES, dim="").value == 9


def test_a_run_leaves_the_days_outside_its_span_alone(db, known_raw):
    etl.run(w.D0, w.D1)
    before = DailyMetric.objects.filter(day=w.D0).count()
    etl.run(w.D1, w.D1)
    assert DailyMetric.objects.filter(day=w.D0).count() == before


def test_command_runs_a_span_and_refuses_a_reversed_one(db, known_raw, capsys):
    call_command("analytics_run", "--from", w.D0.isoformat(), "--to", w.D1.isoformat(), "--no-export")
    assert "loaded 2026-03-02..2026-03-03" in capsys.readouterr().out
    assert DailyMetric.objects.filter(metric=metrics.DAU, day=w.D1).get().value == 1
    with pytest.raises(CommandError, match="after"):
        call_command("analytics_run", "--from", "2026-03-05", "--to", "2026-03-01", "--no-export")
    with pytest.raises(CommandError, match="not a date"):
        call_command("analytics_run", "--to", "yesterday", "--no-export")


def test_generate_command_fills_the_dashboard_once(db, data_dir, capsys):
    call_command("analytics_generate", "--users", "12", "--days", "10")
    assert "wrote" in capsys.readouterr().out
    assert DailyMetric.objects.filter(metric=metrics.MESSAGES).exists()
    assert DailyMetric.objects.filter(metric=metrics.MAU).exists()
    call_command("analytics_generate", "--users", "12", "--days", "10", "--if-empty")
    assert "nothing generated" in capsys.readouterr().out


def test_generate_command_is_refused_where_demo_data_is(db, data_dir, settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="refused"):
        call_command("analytics_generate", "--users", "5", "--days", "3")
