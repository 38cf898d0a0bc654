from django.urls import path

from cohorts.views import (
    attendance,
    calendar,
    console,
    learner,
    public,
    quiz_console,
    quiz_learner,
    refund_risk,
    schedule,
)

app_name = "cohorts"

urlpatterns = [
    # founder console
    path("console/courses/", console.course_list, name="course_list"),
    path("console/courses/new/", console.course_edit, name="course_new"),
    path("console/courses/<int:pk>/", console.course_edit, name="course_edit"),
    path("console/courses/<int:course_pk>/cohorts/new/", console.cohort_edit, name="cohort_new"),
    path("console/cohorts/<int:pk>/edit/", console.cohort_edit, name="cohort_edit"),
    path("console/markdown-preview/", console.markdown_preview, name="markdown_preview"),
    path("console/cohorts/", console.cohort_list, name="console_cohort_list"),
    path("console/cohorts/<int:pk>/", console.cohort_detail, name="console_cohort"),
    path("console/cohorts/<int:cohort_pk>/lessons/new/", console.lesson_edit, name="lesson_new"),
    path("console/cohorts/<int:cohort_pk>/lessons/<int:pk>/", console.lesson_edit, name="lesson_edit"),
    path("console/cohorts/<int:pk>/schedule/", schedule.schedule_generate, name="schedule_generate"),
    path("console/cohorts/<int:pk>/copy/", schedule.cohort_copy, name="cohort_copy"),
    path("console/lessons/<int:pk>/attendance/", console.attendance, name="attendance"),
    path(
        "console/enrollments/<int:pk>/refund-risk/", refund_risk.refund_risk_action, name="refund_risk_action"
    ),
    path(
        "console/lessons/<int:pk>/attendance/upload/", attendance.attendance_upload, name="attendance_upload"
    ),
    path(
        "console/lessons/<int:pk>/attendance/import/", attendance.attendance_import, name="attendance_import"
    ),
    path("console/lessons/<int:pk>/materials/", console.material_add, name="material_add"),
    path("console/materials/<int:pk>/remove/", console.material_remove, name="material_remove"),
    path("console/cohorts/<int:cohort_pk>/assignments/new/", console.assignment_edit, name="assignment_new"),
    path(
        "console/cohorts/<int:cohort_pk>/assignments/<int:pk>/",
        console.assignment_edit,
        name="assignment_edit",
    ),
    path(
        "console/cohorts/<int:pk>/calendar.ics", calendar.cohort_feed_console, name="calendar_cohort_console"
    ),
    path(
        "console/cohorts/<int:pk>/calendar/reset/", calendar.cohort_feed_reset, name="calendar_cohort_reset"
    ),
    path("console/cohorts/<int:pk>/assessments/", console.assessments, name="assessments"),
    path("console/cohorts/<int:pk>/graduate/", console.graduate, name="graduate"),
    path("console/cohorts/<int:cohort_pk>/tests/new/", quiz_console.quiz_edit, name="quiz_new"),
    path("console/tests/<int:pk>/", quiz_console.quiz_detail, name="quiz_detail"),
    path("console/tests/<int:pk>/edit/", quiz_console.quiz_edit, name="quiz_edit"),
    path("console/tests/<int:quiz_pk>/questions/new/", quiz_console.question_edit, name="question_new"),
    path("console/tests/<int:quiz_pk>/questions/<int:pk>/", quiz_console.question_edit, name="question_edit"),
    path("console/test-questions/<int:pk>/move/", quiz_console.question_move, name="question_move"),
    path("console/test-questions/<int:pk>/delete/", quiz_console.question_delete, name="question_delete"),
    path("console/test-attempts/<int:pk>/", quiz_console.attempt_grade, name="quiz_attempt_grade"),
    path("console/grading/", console.grading_queue, name="grading_queue"),
    path("console/submissions/<int:pk>/", console.grade, name="grade"),
    path("console/submissions/<int:pk>/showcase/", console.showcase, name="showcase"),
    path("console/feedback-templates/", console.feedback_templates, name="feedback_templates"),
    path("console/feedback-templates/<int:pk>/", console.feedback_templates, name="feedback_template_edit"),
    path("console/students/<int:pk>/", console.student_detail, name="console_student"),
    path("console/reports/<int:pk>/feedback/", console.closing_feedback, name="closing_feedback"),
    # learner pages
    path("learn/", learner.home, name="learn_home"),
    path("learn/cohorts/<int:pk>/", learner.cohort, name="learn_cohort"),
    path("learn/cohorts/<int:pk>/lessons/", learner.lessons, name="learn_lessons"),
    path("learn/assignments/<int:pk>/", learner.assignment, name="learn_assignment"),
    path("learn/progress/", learner.progress, name="learn_progress"),
    path("learn/referral-qr.png", learner.referral_qr, name="learn_referral_qr"),
    path("learn/tests/<int:pk>/", quiz_learner.quiz, name="learn_quiz"),
    path("learn/tests/<int:pk>/start/", quiz_learner.quiz_start, name="learn_quiz_start"),
    path("learn/test-attempts/<int:pk>/", quiz_learner.attempt, name="learn_attempt"),
    path("learn/test-attempts/<int:pk>/answer/", quiz_learner.attempt_answer, name="learn_attempt_answer"),
    path("learn/test-attempts/<int:pk>/submit/", quiz_learner.attempt_submit, name="learn_attempt_submit"),
    path("learn/test-attempts/<int:pk>/result/", quiz_learner.attempt_result, name="learn_attempt_result"),
    path("learn/reports/<int:pk>/publish/", learner.report_publish, name="report_publish"),
    path("learn/reports/<int:pk>/share-work/", learner.report_share_work, name="report_share_work"),
    path("learn/calendar/", calendar.subscribe, name="learn_calendar"),
    path("learn/calendar/reset/", calendar.subscribe_reset, name="learn_calendar_reset"),
    path("learn/lessons/<int:pk>/calendar.ics", calendar.lesson_file, name="learn_lesson_ics"),
    # calendar feeds: the secret token is the key (apps subscribe without a session)
    path("calendar/s/<str:token>.ics", calendar.student_feed, name="calendar_student_feed"),
    path("calendar/c/<str:token>.ics", calendar.cohort_feed, name="calendar_cohort_feed"),
    # files, API, public reports
    path("files/submissions/<int:pk>/", public.submission_file, name="submission_file"),
    path("files/materials/<int:pk>/", public.material_file, name="material_file"),
    path("api/submissions", public.api_submissions, name="api_submissions"),
    path("courses/<slug:slug>/<str:which>.image", public.course_image, name="course_image"),
    path("graduates/<str:token>/", public.graduate_report, name="graduate_report"),
    path("graduates/<str:token>/card.png", public.graduate_card, name="graduate_card"),
    path("graduates/<str:token>/qr.png", public.graduate_qr, name="graduate_qr"),
]
