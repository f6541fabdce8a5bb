"""Each platform client signs as its platform documents, checked against the documentation's
worked examples; the waybill service's DataSign likewise."""

import base64
import hashlib

from app.adapters.platforms import doudian, pdd, taobao
from app.adapters.waybills import data_sign

# TOP's worked example ("API调用方法详解", 签名示例, as quoted in full at
# https://segmentfault.com/q/1010000002569107): secret "test", these parameters, and the
# upper-case MD5 the documentation gives.
TOP_EXAMPLE = {
    "method": "taobao.user.seller.get",
    "timestamp": "2013-05-06 13:52:03",
    "format": "xml",
    "app_key": "test",
    "v": "2.0",
    "fields": "nick",
    "sign_method": "md5",
    "session": "test",
}


def test_top_md5_signature_matches_the_documented_example():
    assert taobao.sign(TOP_EXAMPLE, "test") == "72CB4D809B375A54502C09360D879C64"


def test_top_signature_leaves_out_the_sign_itself_and_empty_values():
    with_extras = {**TOP_EXAMPLE, "sign": "whatever", "empty": ""}
    assert taobao.sign(with_extras, "test") == "72CB4D809B375A54502C09360D879C64"


def test_top_hmac_keys_the_digest_with_the_secret_over_the_unwrapped_string():
    # The documentation's recipe: hmac_md5(secret, "bar2foo1foo_bar3foobar4") for its example
    # parameters foo=1, bar=2, foo_bar=3, foobar=4, in upper-case hex.
    params = {"foo": "1", "bar": "2", "foo_bar": "3", "foobar": "4"}
    import hmac

    expected = hmac.new(b"helloworld", b"bar2foo1foo_bar3foobar4", hashlib.md5).hexdigest().upper()
    assert taobao.sign(params, "helloworld", "hmac") == expected


def test_pdd_signature_is_the_documented_recipe_which_is_tops_md5():
    # 拼多多's guide: sort by name, join name+value, wrap in client_secret, MD5, upper case —
    # byte for byte TOP's md5 recipe, so TOP's worked example holds for it too.
    assert pdd.sign(TOP_EXAMPLE, "test") == "72CB4D809B375A54502C09360D879C64"


def test_pdd_signs_every_parameter_but_sign():
    params = {
        "type": "pdd.goods.cats.get",
        "client_id": "c",
        "timestamp": "1579145265",
        "data_type": "JSON",
        "parent_cat_id": "0",
    }
    expected = (
        hashlib.md5(
            b"ssclient_idcdata_typeJSONparent_cat_id0timestamp1579145265typepdd.goods.cats.getss"
        )
        .hexdigest()
        .upper()
    )
    assert pdd.sign({**params, "sign": "x"}, "ss") == expected


def test_doudian_signs_the_documented_string_wrapped_in_the_secret():
    # 抖店 "API调用指南": the common parameters' example values (app_key 3409409348479354011,
    # method product.getGoodsCategory, param_json {"cid":"12","page":"1"}, timestamp
    # 2020-09-15 14:48:13, v 2); the string is app_key…method…param_json…timestamp…v wrapped
    # in the secret, param_json with its keys sorted and no spaces.
    params = doudian.param_json({"page": "1", "cid": "12"})
    assert params == '{"cid":"12","page":"1"}'
    text = doudian.sign_string(
        "3409409348479354011", "product.getGoodsCategory", params, "2020-09-15 14:48:13", "S"
    )
    assert text == (
        "Sapp_key3409409348479354011methodproduct.getGoodsCategory"
        'param_json{"cid":"12","page":"1"}timestamp2020-09-15 14:48:13v2S'
    )
    assert (
        doudian.sign(
            "3409409348479354011", "product.getGoodsCategory", params, "2020-09-15 14:48:13", "S"
        )
        == hashlib.md5(text.encode()).hexdigest()
    )


def test_waybill_data_sign_is_base64_of_the_md5_of_request_and_key():
    digest = hashlib.md5(b'{"OrderCode":"1"}' + b"key").hexdigest()
    assert data_sign('{"OrderCode":"1"}', "key") == base64.b64encode(digest.encode()).decode()
