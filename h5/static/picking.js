/* 拣货核对: keep the scan box focused for a scanner that types (the camera's 用相机扫码 is the
   shared scanner in h5.js, which fills the box and sends it). */
(function () {
  "use strict";
  var input = document.getElementById("scan-code");
  if (input) { input.focus(); }
})();
