"""The WeChat Pay sandbox's key pairs, platform certificate and API v3 key, made once:

    python -m devkit.pay_keys instance/wechatpay

(Run as its own module: `python -m devkit.sandbox.wechatpay` would import that module twice,
once through the sandbox package.)"""

from __future__ import annotations

import sys

from devkit.sandbox.wechatpay import make_keys

if __name__ == "__main__":
    print(
        f"WeChat Pay sandbox keys in {make_keys(sys.argv[1] if len(sys.argv) > 1 else 'instance/wechatpay')}"
    )
