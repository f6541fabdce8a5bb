"""The official account's callback: signatures, safe mode, de-duplication, replies; H5 OAuth."""

import hashlib
import time
import uuid

import xmltodict  # ships with wechatpy
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto

from app.mall.models import WechatUser
from app.notify.models import InboundMessage
from devkit.testing.clients import MP, bind_dealer, login

TOKEN = "test-callback-token"


def signed(timestamp=None, nonce=None, token=TOKEN):
    """Query parameters as WeChat signs them: now, and a nonce never used before."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or uuid.uuid4().hex[:16]
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce}


def crypto_of(app) -> WeChatCrypto:
    return WeChatCrypto(TOKEN, app.config["WECHAT_OA_AES_KEY"], app.config["WECHAT_OA_APPID"])


def encrypted(app, xml, params):
    """The body and parameters of a safe-mode push of `xml`, as WeChat sends it."""
    envelope = xmltodict.parse(
        crypto_of(app).encrypt_message(xml, params["nonce"], params["timestamp"])
    )["xml"]
    body = f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
    return body, {**params, "encrypt_type": "aes", "msg_signature": envelope["MsgSignature"]}


def event_xml(openid, event, key="", create_time=None):
    return (
        f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>"
    )


def text_xml(openid, content, msg_id):
    return (
        f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def post(client, xml, params=None):
    """Push a message as WeChat does (encrypted: the test app is in safe mode); an encrypted
    reply is decrypted, so tests read the XML WeChat would show."""
    app = client.application
    params = params or signed()
    if "encrypt_type" not in params:
        xml, params = encrypted(app, xml, params)
    response = client.post("/wechat/callback", query_string=params, data=xml.encode())
    if response.status_code == 200 and b"<Encrypt>" in response.data:
        envelope = xmltodict.parse(response.data)["xml"]
        response.set_data(
            crypto_of(app).decrypt_message(
                response.data, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
            )
        )
    return response


def test_url_verification_echoes_for_a_good_signature_only(client, app):
    ok = client.get("/wechat/callback", query_string={**signed(), "echostr": "hello"})
    assert (ok.status_code, ok.get_data(as_text=True)) == (200, "hello")
    bad = client.get("/wechat/callback", query_string={**signed(token="wrong"), "echostr": "hello"})
    assert bad.status_code == 403


def test_a_bad_signature_is_403_and_nothing_is_processed(client, app):
    r = post(client, event_xml("oa-1", "subscribe"), signed(token="forged"))
    assert r.status_code == 403
    assert r.get_json()["error"]["code"] == "forbidden"
    assert InboundMessage.select().count() == 0
    assert WechatUser.select().count() == 0


def test_subscribe_gets_a_welcome_with_the_binding_link_and_is_remembered(client, app):
    r = post(client, event_xml("oa-1", "subscribe"))
    reply = parse_message(r.data)
    assert "绑定" in reply.content and "/bind" in reply.content
    assert WechatUser.get(WechatUser.oa_openid == "oa-1").follows_oa is True
    post(client, event_xml("oa-1", "unsubscribe"))
    assert WechatUser.get(WechatUser.oa_openid == "oa-1").follows_oa is False


def test_a_retried_message_is_handled_once(client, app):
    xml = event_xml("oa-2", "subscribe", create_time=1700000001)
    first = post(client, xml)
    again = post(client, xml)
    assert b"CDATA" in first.data
    assert again.get_data(as_text=True) == "success"
    assert InboundMessage.select().count() == 1


def test_menu_and_text_show_the_latest_orders_of_a_bound_dealer(client, shop, dealer):
    client.post(
        f"{MP}/orders", json={"lines": [{"product_id": shop.tea.id, "qty": 10}]}, headers=dealer
    )
    # The dealer opens an H5 page once: OAuth joins the official account openid to them.
    r = client.post(f"{MP}/auth/oauth", json={"code": "dealer-a"})
    assert r.get_json()["bound"] is True
    menu = parse_message(post(client, event_xml("sandbox-oa-dealer-a", "CLICK", "MY_ORDERS")).data)
    assert menu.content.startswith("最近订单") and "待审核" in menu.content
    text = parse_message(post(client, text_xml("sandbox-oa-dealer-a", "订单", 9001)).data)
    assert "¥450.00" in text.content
    stranger = parse_message(post(client, text_xml("oa-unknown", "订单", 9002)).data)
    assert "绑定" in stranger.content


def test_safe_mode_messages_are_decrypted_and_answered_encrypted(client, app):
    params = signed()
    body, aes = encrypted(app, event_xml("oa-aes", "subscribe"), params)
    r = client.post("/wechat/callback", query_string=aes, data=body.encode())
    assert r.status_code == 200
    reply_envelope = xmltodict.parse(r.data)["xml"]
    plain = crypto_of(app).decrypt_message(
        r.data, reply_envelope["MsgSignature"], reply_envelope["TimeStamp"], reply_envelope["Nonce"]
    )
    assert "欢迎关注" in parse_message(plain).content
    body, aes = encrypted(app, event_xml("oa-aes2", "subscribe"), signed())
    forged = post(client, body, {**aes, "msg_signature": "0" * 40})
    assert forged.status_code == 403


def test_in_safe_mode_a_signed_plaintext_message_is_refused(client, shop, dealer):
    """The signature covers token, timestamp and nonce only: a plaintext body could be anyone's."""
    client.post(f"{MP}/auth/oauth", json={"code": "dealer-a"})
    forged = client.post(
        "/wechat/callback",
        query_string=signed(),
        data=text_xml("sandbox-oa-dealer-a", "订单", 9101).encode(),
    )
    assert forged.status_code == 403
    unsubscribe = client.post(
        "/wechat/callback",
        query_string=signed(),
        data=event_xml("sandbox-oa-dealer-a", "unsubscribe").encode(),
    )
    assert unsubscribe.status_code == 403
    assert InboundMessage.select().count() == 0


def test_stale_or_future_timestamps_and_replayed_nonces_are_refused(client, app):
    old = signed(timestamp=str(int(time.time()) - 301))
    assert post(client, event_xml("oa-3", "subscribe"), old).status_code == 403
    ahead = signed(timestamp=str(int(time.time()) + 301))
    assert post(client, event_xml("oa-3", "subscribe"), ahead).status_code == 403
    from_2014 = signed(timestamp="1400000000")
    assert (
        client.get("/wechat/callback", query_string={**from_2014, "echostr": "x"}).status_code
        == 403
    )
    params = signed()
    body, aes = encrypted(app, event_xml("oa-3", "subscribe"), params)
    first = client.post("/wechat/callback", query_string=aes, data=body.encode())
    replay = client.post("/wechat/callback", query_string=aes, data=body.encode())
    assert (first.status_code, replay.status_code) == (200, 403)
    assert WechatUser.select().where(WechatUser.oa_openid == "oa-3").count() == 1


def test_a_text_message_without_content_is_refused_and_not_marked_handled(client, app):
    xml = (
        "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[oa-4]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        "<MsgId>9201</MsgId></xml>"
    )
    refused = post(client, xml)
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (422, "validation_error")
    assert InboundMessage.select().count() == 0
    # WeChat's retry of a well-formed message with that id is still answered.
    assert b"CDATA" in post(client, text_xml("oa-4", "你好", 9201)).data
    assert InboundMessage.select().count() == 1


def test_plaintext_mode_still_works_without_an_aes_key(client, monkeypatch):
    from app.runtime import wechat

    monkeypatch.setitem(wechat.config, "WECHAT_OA_AES_KEY", None)  # as a deployment without it
    r = client.post(
        "/wechat/callback", query_string=signed(), data=event_xml("oa-5", "subscribe").encode()
    )
    assert "欢迎关注" in parse_message(r.data).content


def test_h5_oauth_finds_the_same_person_as_the_mini_program(client, shop):
    mini = login(client, "same-person")
    bind_dealer(client, shop.customer, "same-person")
    h5 = client.post(f"{MP}/auth/oauth", json={"code": "same-person"}).get_json()
    assert h5["bound"] is True and h5["customer"]["id"] == shop.customer.id
    assert WechatUser.select().where(WechatUser.unionid == "sandbox-union-same-person").count() == 1
    assert mini["token"] != h5["token"]
    bad = client.post(f"{MP}/auth/oauth", json={"code": "invalid-1"})
    assert bad.status_code == 400
