from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("console/dashboard/", views.weekly, name="weekly"),
    path("console/dashboard/history.csv", views.history_csv, name="history_csv"),
    path("console/dashboard/<str:week>/actions/", views.actions_save, name="actions_save"),
    path(
        "console/dashboard/<str:week>/suggestions/accept/", views.suggestion_accept, name="suggestion_accept"
    ),
    path(
        "console/dashboard/<str:week>/last-actions/<int:slot>/",
        views.last_action_mark,
        name="last_action_mark",
    ),
    path("console/dashboard/<str:week>/follow-ups/", views.follow_ups, name="follow_ups"),
    path("console/dashboard/<str:week>/absentees/<int:lesson>/", views.absentees, name="absentees"),
    path("console/dashboard/<str:week>/recompute/", views.recompute, name="recompute"),
    path("console/dashboard/courses/", views.courses, name="courses"),
    path("console/dashboard/courses/<int:pk>/", views.course_across, name="course_across"),
    path("console/leads/links/all/", views.links, name="links"),
    path("console/leads/pieces/", views.pieces, name="pieces"),
    path("console/leads/pieces/hour-value/", views.hour_value_save, name="hour_value_save"),
    path("api/dashboard/weekly", views.weekly_api, name="weekly_api"),
]
