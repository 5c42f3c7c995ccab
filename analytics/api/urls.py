from django.urls import path

from analytics.api import views

urlpatterns = [
    path("analytics/site/summary", views.SummaryView.as_view()),
    path("analytics/site/series/<str:name>", views.SeriesView.as_view()),
    path("analytics/site/heatmap", views.HeatmapView.as_view()),
    path("analytics/site/top-channels", views.TopChannelsView.as_view()),
    path("analytics/site/retention", views.RetentionView.as_view()),
    path("analytics/site/live", views.LiveView.as_view()),
    path("analytics/site/export/<str:chart>.csv", views.ExportView.as_view()),
    path("analytics/me", views.MeView.as_view()),
]
