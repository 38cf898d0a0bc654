"""A WeChat Pay notification names the payer's openid: when an account has bound that WeChat
(WeChat sign-in), the order is that account's, whatever address was typed at checkout."""

from allauth.socialaccount.models import SocialAccount

from accounts.models import User
from billing.models import Order
from cohorts.models import Enrollment, Student
from tests.billing.conftest import wechat_notification, wechat_post, wechat_transaction

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


def test_a_payer_whose_wechat_is_bound_gets_the_seat_on_their_account(
    client, wechat_on, keys, order, student
):
    SocialAccount.objects.create(
        user=student.user, provider="weixin_mp", uid=OPENID, extra_data={"openid": OPENID}
    )
    users, students = User.objects.count(), Student.objects.count()
    headers, body = wechat_notification(wechat_transaction(order), keys["wechat_platform"])

    assert wechat_post(client, headers, body).status_code == 200

    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.user == student.user
    assert Enrollment.objects.get(cohort=order.cohort).student == student
    assert (User.objects.count(), Student.objects.count()) == (users, students)


def test_an_openid_nobody_bound_changes_nothing(client, wechat_on, keys, order, student):
    headers, body = wechat_notification(wechat_transaction(order), keys["wechat_platform"])
    wechat_post(client, headers, body)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.user.email == "buyer@example.com"


def test_an_order_with_its_user_keeps_it(client, wechat_on, keys, order, student, other_student):
    SocialAccount.objects.create(user=other_student.user, provider="weixin", uid=OPENID, extra_data={})
    Order.objects.filter(pk=order.pk).update(user=student.user)
    order.refresh_from_db()
    headers, body = wechat_notification(wechat_transaction(order), keys["wechat_platform"])
    wechat_post(client, headers, body)
    order.refresh_from_db()
    assert order.user == student.user
