"""The official account's callback: signatures, safe mode, de-duplication, replies; H5 OAuth."""

import hashlib
import time

from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto

from app.mall.models import WechatUser
from app.notify.models import InboundMessage
from tests.api.conftest import MP, bind_dealer, login

TOKEN = "test-callback-token"


def signed(timestamp="1700000000", nonce="n0nce", token=TOKEN):
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce}


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
    return client.post("/wechat/callback", query_string=params or signed(), data=xml.encode())


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
    crypto = WeChatCrypto(TOKEN, app.config["WECHAT_OA_AES_KEY"], app.config["WECHAT_OA_APPID"])
    params = signed(timestamp="1700000100", nonce="aesnonce")
    encrypted = crypto.encrypt_message(
        event_xml("oa-aes", "subscribe"), params["nonce"], params["timestamp"]
    )
    import xmltodict  # ships with wechatpy

    envelope = xmltodict.parse(encrypted)["xml"]
    body = f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
    r = post(
        client,
        body,
        {**params, "encrypt_type": "aes", "msg_signature": envelope["MsgSignature"]},
    )
    assert r.status_code == 200
    reply_envelope = xmltodict.parse(r.data)["xml"]
    plain = crypto.decrypt_message(
        r.data, reply_envelope["MsgSignature"], reply_envelope["TimeStamp"], reply_envelope["Nonce"]
    )
    assert "欢迎关注" in parse_message(plain).content
    forged = post(client, body, {**params, "encrypt_type": "aes", "msg_signature": "0" * 40})
    assert forged.status_code == 403


def test_h5_oauth_finds_the_same_person_as_the_mini_program(client, shop):
    mini = login(client, "same-person")
    bind_dealer(client, shop.customer, "same-person")
    h5 = client.post(f"{MP}/auth/oauth", json={"code": "same-person"}).get_json()
    assert h5["bound"] is True and h5["customer"]["id"] == shop.customer.id
    assert WechatUser.select().where(WechatUser.unionid == "sandbox-union-same-person").count() == 1
    assert mini["token"] != h5["token"]
    bad = client.post(f"{MP}/auth/oauth", json={"code": "invalid-1"})
    assert bad.status_code == 400
