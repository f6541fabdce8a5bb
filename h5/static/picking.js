/* 拣货核对: keep the scan box focused for a scanner that types; where the browser can read
   barcodes itself (BarcodeDetector), offer the phone's camera, which fills the box and submits. */
(function () {
  "use strict";
  var input = document.getElementById("scan-code");
  var button = document.getElementById("camera-scan");
  if (!input) { return; }
  input.focus();
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    var video = document.getElementById("camera");
    var detector = new window.BarcodeDetector({ formats: ["code_128", "ean_13", "qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var look = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stream.getTracks().forEach(function (t) { t.stop(); });
            input.value = codes[0].rawValue;
            input.form.requestSubmit();
          } else {
            window.requestAnimationFrame(look);
          }
        }, function () { window.requestAnimationFrame(look); });
      };
      look();
    }, function () { button.textContent = "无法打开相机，请用扫码枪或输入 SKU"; });
  });
})();
