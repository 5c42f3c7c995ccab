"""The analytics REST API: site metrics for staff, a user's own activity for that user."""

from datetime import timedelta

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import csv_export, selectors
from chatsite.api_errors import ApiError, error_responses
from chatsite.strict import StrictSerializer, parse

MAX_SPAN_DAYS = 731
DEFAULT_SPAN_DAYS = 30
MAX_LIVE_MINUTES = 1440


class RangeIn(StrictSerializer):
    """from..to (UTC days, both included); by default the 30 days up to yesterday."""

    to = serializers.DateField(required=False)
    grain = serializers.ChoiceField(choices=["day", "week"], default="day")
    cumulative = serializers.BooleanField(default=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False)  # a Python keyword: declared here
        return fields

    def validate(self, data):
        last = data.get("to") or timezone.now().date() - timedelta(days=1)
        first = data.get("from") or last - timedelta(days=DEFAULT_SPAN_DAYS - 1)
        if first > last:
            raise serializers.ValidationError({"from": ["Comes after `to`."]})
        if (last - first).days >= MAX_SPAN_DAYS:
            raise serializers.ValidationError({"from": [f"At most {MAX_SPAN_DAYS} days at once."]})
        return {**data, "first": first, "last": last}


RANGE_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (UTC), default 29 days before `to`."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (UTC), default yesterday."),
]
SERIES_PARAMETERS = [
    *RANGE_PARAMETERS,
    OpenApiParameter("grain", OpenApiTypes.STR, enum=["day", "week"], description="Points per day or per week."),
    OpenApiParameter("cumulative", OpenApiTypes.BOOL, description="Running totals (counts only)."),
]
ERRORS = error_responses(400, 401, 403)


def parse_range(request):
    return parse(RangeIn, request.query_params.dict())


def require_staff(request):
    if not request.user.is_staff:
        raise ApiError("forbidden", "Site analytics are for staff.", 403)


class SeriesOut(serializers.Serializer):
    labels = serializers.ListField(child=serializers.CharField(), help_text="Days, or weeks' Mondays.")
    series = serializers.DictField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text='One list per breakdown ("total" when there is none), a value per label.',
    )


class SummaryView(APIView):
    @extend_schema(
        summary="Summary tiles: users, messages, DAU, MAU, storage",
        parameters=RANGE_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request):
        require_staff(request)
        span = parse_range(request)
        return Response(selectors.summary(span["first"], span["last"]))


class SeriesView(APIView):
    @extend_schema(
        summary="One metric over time",
        description="`name`: " + ", ".join(selectors.SERIES) + ". Definitions: analytics.metrics.",
        parameters=SERIES_PARAMETERS,
        responses={200: SeriesOut, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request, name):
        require_staff(request)
        if name not in selectors.SERIES:
            raise ApiError("not_found", "No such chart.", 404)
        span = parse_range(request)
        return Response(
            selectors.series(name, span["first"], span["last"], grain=span["grain"], cumulative=span["cumulative"])
        )


class HeatmapView(APIView):
    @extend_schema(
        summary="Messages by weekday (Monday first) and hour (UTC)",
        parameters=RANGE_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request):
        require_staff(request)
        span = parse_range(request)
        return Response({"grid": selectors.heatmap(span["first"], span["last"])})


class TopChannelsView(APIView):
    @extend_schema(
        summary="The channels with the most messages",
        parameters=RANGE_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request):
        require_staff(request)
        span = parse_range(request)
        return Response({"channels": selectors.top_channels(span["first"], span["last"])})


class RetentionView(APIView):
    @extend_schema(
        summary="Retention of the users who signed up in each week",
        parameters=RANGE_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request):
        require_staff(request)
        span = parse_range(request)
        return Response({"cohorts": selectors.retention(span["first"], span["last"])})


class ExportView(APIView):
    @extend_schema(
        summary="A chart's data as CSV",
        description="`chart`: a series name, heatmap, top-channels or retention.",
        parameters=SERIES_PARAMETERS,
        responses={(200, "text/csv"): OpenApiTypes.STR, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request, chart):
        require_staff(request)
        span = parse_range(request)
        rows = csv_export.rows(chart, span)
        if rows is None:
            raise ApiError("not_found", "No such chart.", 404)
        response = HttpResponse(csv_export.render(rows), content_type="text/csv; charset=utf-8")
        name = f"{chart}-{span['first']}-{span['last']}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class LiveIn(StrictSerializer):
    minutes = serializers.IntegerField(min_value=1, max_value=MAX_LIVE_MINUTES, default=120)


class LiveOut(serializers.Serializer):
    labels = serializers.ListField(child=serializers.DateTimeField(), help_text="Whole minutes (UTC), oldest first.")
    series = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField(allow_null=True)),
        help_text=", ".join(selectors.LIVE_METRICS) + ": a value per minute, null where none was written.",
    )


class LiveView(APIView):
    @extend_schema(
        summary="The last minutes, from the streaming job",
        description="Messages, distinct senders, open sockets and users with one, per minute (analytics_stream).",
        parameters=[
            OpenApiParameter("minutes", OpenApiTypes.INT, description=f"How many, 1-{MAX_LIVE_MINUTES}; default 120.")
        ],
        responses={200: LiveOut, **ERRORS},
    )
    def get(self, request):
        require_staff(request)
        minutes = parse(LiveIn, request.query_params.dict())["minutes"]
        return Response(selectors.live(timezone.now(), minutes))


class MeView(APIView):
    @extend_schema(
        summary="My messages per day beside the average active user",
        parameters=RANGE_PARAMETERS,
        responses={200: SeriesOut, **error_responses(400, 401)},
    )
    def get(self, request):
        span = parse_range(request)
        return Response(selectors.me_versus_everyone(request.user.pk, span["first"], span["last"]))
