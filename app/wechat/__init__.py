"""WeChat adapters: wechatpy client factory, sandbox, gateway calls the app makes."""
