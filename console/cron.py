"""The schedule, run by `manage.py rqcron console/cron.py` (the scheduler process).

RQ cron reads cron strings in the process's local time zone, which Django sets from
TIME_ZONE: "30 0 * * 1" is Monday 00:30 in the site time zone. Every entry only enqueues a
job; the worker runs it.
"""

from rq import cron

from billing.jobs import offer_waitlist_seats, reconcile_payments, send_checkout_follow_ups
from cohorts.jobs import end_overdue_quiz_attempts, send_due_reminders, send_lesson_reminders
from console.jobs import backup_if_due, purge_data_exports, resume_broadcasts
from crm.jobs import resume_stalled_imports
from dashboard.jobs import snapshot_last_week
from onepco.outbox import outbox_sweep

# Relay follow-up jobs that the after-commit fast path could not hand to Redis.
cron.register(outbox_sweep, "default", interval=60, name="outbox-sweep", result_ttl=600)
# Expired data-export archives are deleted from storage every night.
cron.register(purge_data_exports, "default", cron="15 3 * * *", name="purge-data-exports")
# Homework due within 24 hours: one reminder per student who has not handed it in.
cron.register(send_due_reminders, "default", cron="5 * * * *", name="due-reminders")
# Online tests whose time is up are handed in with the answers saved in time.
cron.register(end_overdue_quiz_attempts, "default", interval=60, name="quiz-time-up", result_ttl=600)
# Lessons starting in 24 hours or in one hour: one e-mail each per active student (outbox).
cron.register(send_lesson_reminders, "default", interval=300, name="lesson-reminders", result_ttl=600)
# Freeze last week's numbers every Monday at 00:30 site time, then e-mail the founder's report.
cron.register(snapshot_last_week, "default", cron="30 0 * * 1", name="weekly-snapshot")
# Ask the providers about orders left pending, apply what they say, then expire stale orders.
cron.register(reconcile_payments, "default", interval=600, name="reconcile-payments", result_ttl=3600)
# A CSV import whose worker died (a restart, a deploy) goes on from the row after the last one.
cron.register(resume_stalled_imports, "default", interval=300, name="resume-imports", result_ttl=600)
# The daily backup runs at the founder's time (console → 系统 → 备份); this asks every 15 minutes.
cron.register(backup_if_due, "default", interval=900, name="backup", result_ttl=3600, job_timeout=3 * 3600)
# Waitlist offers unanswered for WAITLIST_OFFER_HOURS lapse; free seats go to the next in line.
cron.register(offer_waitlist_seats, "default", interval=300, name="waitlist-offers", result_ttl=600)
# Orders that expired unpaid ABANDONED_CHECKOUT_DELAY_MINUTES ago: one follow-up e-mail each.
cron.register(send_checkout_follow_ups, "default", interval=600, name="checkout-follow-ups", result_ttl=1200)
# Broadcasts whose send time has come start; one whose next batch was lost goes on.
cron.register(resume_broadcasts, "default", interval=60, name="broadcasts", result_ttl=600)
