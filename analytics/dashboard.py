"""The staff dashboard at /admin/analytics/: one page; its script reads /api/v1/analytics/."""

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from analytics.selectors import SERIES


@require_safe
@never_cache
@staff_member_required
def dashboard(request):
    return render(
        request, "analytics/dashboard.html", {"config": {"api": "/api/v1/analytics/", "series": list(SERIES)}}
    )


urlpatterns = [path("", dashboard, name="analytics-dashboard")]
