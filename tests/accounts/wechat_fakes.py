"""WeChat's OAuth answers, as WeChat documents them, served to allauth's requests session.

The token answer: {"access_token", "expires_in", "refresh_token", "openid", "scope", "unionid"};
the profile (snsapi_userinfo / snsapi_login): {"openid", "nickname", "sex", "province", "city",
"country", "headimgurl", "privilege", "unionid"}. WeChat sends them as
"application/json; encoding=utf-8" (not "charset"); errors come with HTTP 200 and an errcode.
"""

import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import requests

WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
)
DESKTOP_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
MP_APPID, MP_SECRET = "wxmp000000000001", "mp-secret"
WEB_APPID, WEB_SECRET = "wxweb00000000001", "web-secret"


def providers_setting(*, mp: bool = True, web: bool = True, mp_scope: str = "snsapi_userinfo") -> dict:
    return {
        "weixin": {
            "AUTHORIZE_URL": "https://open.weixin.qq.com/connect/qrconnect",
            "SCOPE": ["snsapi_login"],
            "APPS": [{"client_id": WEB_APPID, "secret": WEB_SECRET}] if web else [],
        },
        "weixin_mp": {
            "AUTHORIZE_URL": "https://open.weixin.qq.com/connect/oauth2/authorize",
            "SCOPE": [mp_scope],
            "APPS": [{"client_id": MP_APPID, "secret": MP_SECRET}] if mp else [],
        },
    }


def _response(payload: dict, status: int = 200) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    response.headers["Content-Type"] = "application/json; encoding=utf-8"
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    return response


@dataclass
class FakeWeChat:
    """Who WeChat says is signing in, per app: {appid: profile}. Records every call."""

    people: dict = field(default_factory=dict)
    calls: list = field(default_factory=list)
    codes: dict = field(default_factory=dict)  # code -> appid it was issued for

    def person(self, appid: str, *, openid: str, unionid: str = "", nickname: str = "小明") -> None:
        self.people[appid] = {
            "openid": openid,
            "nickname": nickname,
            "sex": 1,
            "province": "广东",
            "city": "深圳",
            "country": "中国",
            "headimgurl": "https://thirdwx.qlogo.cn/mmopen/avatar/132",
            "privilege": [],
            **({"unionid": unionid} if unionid else {}),
        }

    def handle(self, method: str, url: str, params=None, data=None, **kwargs) -> requests.Response:
        self.calls.append({"method": method, "url": url, "params": dict(params or {}), "data": data})
        params = dict(params or {})
        if url == "https://api.weixin.qq.com/sns/oauth2/access_token":
            appid = params.get("appid")
            secret = {MP_APPID: MP_SECRET, WEB_APPID: WEB_SECRET}.get(appid)
            if method != "GET" or secret is None or params.get("secret") != secret:
                return _response({"errcode": 40125, "errmsg": "invalid appsecret"})
            if self.codes.get(params.get("code")) != appid or appid not in self.people:
                return _response({"errcode": 40029, "errmsg": "invalid code"})
            person = self.people[appid]
            answer = {
                "access_token": f"ACCESS-{person['openid']}",
                "expires_in": 7200,
                "refresh_token": "REFRESH",
                "openid": person["openid"],
                "scope": "snsapi_login" if appid == WEB_APPID else "snsapi_userinfo",
            }
            if person.get("unionid"):
                answer["unionid"] = person["unionid"]
            return _response(answer)
        if url == "https://api.weixin.qq.com/sns/userinfo":
            for person in self.people.values():
                if (
                    params.get("access_token") == f"ACCESS-{person['openid']}"
                    and params.get("openid") == person["openid"]
                ):
                    return _response(person)
            return _response({"errcode": 40001, "errmsg": "invalid credential"})
        raise AssertionError(f"unexpected outbound call: {method} {url}")


def install(monkeypatch) -> FakeWeChat:
    fake = FakeWeChat()

    def request(self, method, url, *args, **kwargs):
        return fake.handle(method, url, **kwargs)

    # allauth's adapter hands out a requests.Session (get_requests_session); its calls end here.
    monkeypatch.setattr(requests.Session, "request", request)
    return fake


def authorize(client, provider: str, *, process: str = "login", next_url: str = "") -> tuple[str, dict]:
    """Press the button: POST to the provider's login URL; WeChat's authorisation URL comes back."""
    data = {"process": process}
    if next_url:
        data["next"] = next_url
    response = client.post(f"/accounts/{provider}/login/", data)
    assert response.status_code == 302, response.content[:500]
    url = response["Location"]
    query = parse_qs(urlsplit(url).query)
    return url, {k: v[0] for k, v in query.items()}


def come_back(client, provider: str, fake: FakeWeChat, appid: str, state: str, code: str = "CODE1"):
    """WeChat sends the person back with a code for that app and our state."""
    fake.codes[code] = appid
    return client.get(f"/accounts/{provider}/login/callback/", {"code": code, "state": state})


def mailed_code(mail) -> str:
    match = re.search(r"^([A-Z0-9]{4}-?[A-Z0-9]{4})$", mail.body, flags=re.MULTILINE)
    assert match, mail.body
    return match.group(1)
