/* WeChat Pay on the H5 pages. 立即支付 hands the signed block to WeChat's client
   (WeixinJSBridge getBrandWCPayRequest); whatever the client answers, the page then asks our
   server for the result — never believing "ok" — and the result page keeps asking while the
   payment is pending. No inline scripts (CSP). */
(function () {
  "use strict";

  // 充值: a preset amount fills the amount field.
  document.addEventListener("change", function (event) {
    var preset = event.target;
    if (!preset.matches || !preset.matches("[data-amount-preset]")) { return; }
    var amount = document.getElementById("amount");
    if (amount) { amount.value = preset.value; }
  });

  var button = document.getElementById("pay-now");
  if (button) {
    var hint = document.querySelector(".pay-hint");
    button.addEventListener("click", function () {
      var params = JSON.parse(button.dataset.jsapi);
      var result = button.dataset.result;
      function invoke() {
        button.disabled = true;
        window.WeixinJSBridge.invoke("getBrandWCPayRequest", params, function (res) {
          var said = (res && res.err_msg) || "";
          location.href = result + "?said=" + encodeURIComponent(said);
        });
      }
      if (window.WeixinJSBridge) {
        invoke();
      } else {
        hint.textContent = "请在微信中打开本页面完成支付";
        document.addEventListener("WeixinJSBridgeReady", invoke, { once: true });
      }
    });
  }

  // The result page: ask our server every 2 s for a minute while the payment is pending.
  var waiting = document.querySelector("[data-poll]");
  if (waiting) {
    var tries = 0;
    var timer = setInterval(function () {
      tries += 1;
      fetch(waiting.dataset.poll, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (body.status !== "pending") { clearInterval(timer); location.reload(); }
        })
        .catch(function () { /* the next try, or the dealer's own reload */ });
      if (tries >= 30) {
        clearInterval(timer);
        var note = document.querySelector(".pay-waiting");
        if (note) { note.textContent = "仍在确认中：到账后会通知您，也可稍后在支付记录中查看"; }
      }
    }, 2000);
  }
}());
