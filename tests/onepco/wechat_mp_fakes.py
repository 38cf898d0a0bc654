"""The 公众号 API's answers for template messages, as WeChat documents them, served to
wechatpy's requests session (only the outbound HTTP is faked; wechatpy itself runs).

- GET https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=…&secret=…
  → {"access_token": "…", "expires_in": 7200}
- POST https://api.weixin.qq.com/cgi-bin/message/template/send?access_token=… with
  {"touser", "template_id", "url", "data": {key: {"value"}}} → {"errcode": 0, "errmsg": "ok",
  "msgid": …}; a refusal is HTTP 200 with an errcode (43004: the person does not follow the
  公众号; 40003: not an openid of this app).
"""

import json
from dataclasses import dataclass, field

import requests

MP_APPID, MP_SECRET = "wxmp000000000001", "mp-secret"
TOKEN_URL = "https://api.weixin.qq.com/cgi-bin/token"
SEND_URL = "https://api.weixin.qq.com/cgi-bin/message/template/send"


def _response(payload: dict) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    response.headers["Content-Type"] = "application/json; encoding=utf-8"
    return response


@dataclass
class FakeOfficialAccount:
    """Who follows the 公众号 (openids), what it was sent, and how it should answer."""

    followers: set = field(default_factory=set)
    sent: list = field(default_factory=list)
    token_fetches: int = 0
    down: bool = False  # the network fails before WeChat answers
    next_msgid: int = 1000

    def handle(self, method: str, url: str, params=None, data=None, **kwargs) -> requests.Response:
        params = dict(params or {})
        if self.down:
            raise requests.ConnectionError("Connection refused")
        if url == TOKEN_URL:
            if params.get("appid") != MP_APPID or params.get("secret") != MP_SECRET:
                return _response({"errcode": 40125, "errmsg": "invalid appsecret"})
            self.token_fetches += 1
            return _response({"access_token": f"TOKEN-{self.token_fetches}", "expires_in": 7200})
        if url == SEND_URL and method.upper() == "POST":
            if not str(params.get("access_token", "")).startswith("TOKEN-"):
                return _response({"errcode": 40001, "errmsg": "invalid credential"})
            body = json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
            if body["touser"] not in self.followers:
                return _response({"errcode": 43004, "errmsg": "require subscribe"})
            self.sent.append(body)
            self.next_msgid += 1
            return _response({"errcode": 0, "errmsg": "ok", "msgid": self.next_msgid})
        raise AssertionError(f"unexpected outbound call: {method} {url}")


def install(monkeypatch) -> FakeOfficialAccount:
    fake = FakeOfficialAccount()

    def request(self, method, url, *args, **kwargs):
        return fake.handle(method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", request)
    return fake
