from django.contrib import admin

from dashboard.models import WeeklyMetrics


@admin.register(WeeklyMetrics)
class WeeklyMetricsAdmin(admin.ModelAdmin):
    list_display = ["week", "leads", "consultations", "deals", "revenue", "effective_revenue", "computed_at"]
    search_fields = ["week"]
    list_filter = ["week_start"]
    date_hierarchy = "week_start"
