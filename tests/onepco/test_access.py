import pytest


@pytest.mark.parametrize("path", ["/console/", "/admin/"])
def test_anonymous_visitor_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_student_cannot_reach_the_console(student_client):
    response = student_client.get("/console/")
    assert response.status_code == 403


def test_student_cannot_reach_the_admin(student_client):
    response = student_client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_founder_sees_the_console(founder_client):
    response = founder_client.get("/console/")
    assert response.status_code == 200
    assert "<h1>今天</h1>" in response.content.decode()
