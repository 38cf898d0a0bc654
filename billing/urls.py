from django.urls import path

from billing import views, views_referrals, views_waitlist

app_name = "billing"

urlpatterns = [
    path("courses/", views.course_index, name="course_index"),
    path("courses/<slug:slug>/", views.course_detail, name="course_detail"),
    path("courses/<slug:slug>/buy/", views.checkout, name="checkout"),
    path("courses/<slug:slug>/waitlist/", views_waitlist.waitlist_join, name="waitlist_join"),
    path("waitlist/<str:token>/", views_waitlist.waitlist_offer, name="waitlist_offer"),
    path("unsubscribe/<str:token>/", views_waitlist.follow_up_unsubscribe, name="follow_up_unsubscribe"),
    path("console/waitlist/<int:pk>/", views_waitlist.waitlist_console, name="waitlist_console"),
    path(
        "console/waitlist/<int:pk>/<int:entry_pk>/<str:action>/",
        views_waitlist.waitlist_action,
        name="waitlist_action",
    ),
    path("pay/<str:number>/", views.pay, name="pay"),
    path("pay/<str:number>/status/", views.pay_status, name="pay_status"),
    path("pay/<str:number>/return/", views.pay_return, name="pay_return"),
    path("pay/<str:number>/proof/", views.proof_upload, name="proof_upload"),
    path("pay/payee/<int:pk>/qr/", views.payee_qr, name="payee_qr"),
    path("billing/simulated/<str:number>/", views.simulated_pay, name="simulated_pay"),
    path("billing/notify/alipay/", views.notify_alipay, name="notify_alipay"),
    path("billing/notify/wechat/", views.notify_wechat, name="notify_wechat"),
    path("billing/webhooks/stripe/", views.webhook_stripe, name="webhook_stripe"),
    path("console/coupons/", views.coupon_list, name="coupon_list"),
    path("console/coupons/new/", views.coupon_edit, name="coupon_create"),
    path("console/coupons/<int:pk>/", views.coupon_edit, name="coupon_edit"),
    path("console/coupons/<int:pk>/pause/", views.coupon_pause, name="coupon_pause"),
    path("console/referrals/", views_referrals.referrer_list, name="referrer_list"),
    path("console/referrals/settings/", views_referrals.referral_settings, name="referral_settings"),
    path(
        "console/referrals/rewards/<int:pk>/paid/",
        views_referrals.referral_reward_paid,
        name="referral_reward_paid",
    ),
    path("learn/referral-reward/", views_referrals.learner_referral_offer, name="learner_referral_offer"),
    path("console/orders/", views.order_list, name="order_list"),
    path("console/orders/new/", views.order_create, name="order_create"),
    path("console/orders/<str:number>/", views.order_detail, name="order_detail"),
    path("console/orders/<str:number>/refund/", views.order_refund, name="order_refund"),
    path("console/orders/<str:number>/cancel/", views.order_cancel, name="order_cancel"),
    path("console/orders/<str:number>/query/", views.order_query, name="order_query"),
    path("console/orders/<str:number>/release/", views.order_release, name="order_release"),
    path("console/orders/<str:number>/confirm/", views.order_confirm_transfer, name="order_confirm"),
    path("console/orders/<str:number>/enroll/", views.order_seat_grant, name="order_seat_grant"),
    path("console/orders/<str:number>/buyer-email/", views.order_buyer_email, name="order_buyer_email"),
    path("console/orders/<str:number>/proofs/<int:pk>/reject/", views.proof_reject, name="proof_reject"),
    path("console/orders/<str:number>/proofs/<int:pk>/", views.proof_image, name="proof_image"),
]
