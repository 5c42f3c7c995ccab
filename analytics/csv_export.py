"""Each chart's data as CSV rows, for the dashboard's download links."""

import csv
import io

from django.utils import timezone

from analytics import selectors

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LIVE_MINUTES = 120  # what the dashboard's live chart shows
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """A cell a spreadsheet will not run: text that starts like a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def rows(chart, span):
    """Header and rows of `chart` over the span, or None for an unknown chart."""
    first, last = span["first"], span["last"]
    if chart in selectors.SERIES:
        data = selectors.series(chart, first, last, grain=span["grain"], cumulative=span["cumulative"])
        names = sorted(data["series"])
        body = [[label, *(data["series"][n][i] for n in names)] for i, label in enumerate(data["labels"])]
        return [["day", *names], *body]
    if chart == "live":
        data = selectors.live(timezone.now(), LIVE_MINUTES)
        names = list(data["series"])
        body = [[label, *(data["series"][n][i] for n in names)] for i, label in enumerate(data["labels"])]
        return [["minute", *names], *body]
    if chart == "heatmap":
        grid = selectors.heatmap(first, last)
        return [["weekday", *range(24)], *([WEEKDAYS[i], *grid[i]] for i in range(7))]
    if chart == "top-channels":
        found = selectors.top_channels(first, last)
        return [
            ["conversation_id", "title", "messages"],
            *([c["conversation_id"], c["title"], c["messages"]] for c in found),
        ]
    if chart == "retention":
        cohorts = selectors.retention(first, last)
        weeks = len(cohorts[0]["retained"]) if cohorts else 0
        header = ["cohort", "users", *(f"week_{k}" for k in range(weeks))]
        return [header, *([c["cohort"], c["users"], *c["retained"]] for c in cohorts)]
    return None


def render(table):
    out = io.StringIO()
    writer = csv.writer(out)
    for row in table:
        writer.writerow([cell(value) for value in row])
    return out.getvalue()
