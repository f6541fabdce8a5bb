/* The H5 pages' behaviour: quantity steppers that only offer valid quantities, forms sent once,
   and the phone's location for check-in and check-out. No inline scripts (CSP). */
(function () {
  "use strict";

  function clamp(input, value) {
    var min = parseInt(input.min, 10) || 1;
    var step = parseInt(input.step, 10) || 1;
    if (isNaN(value) || value < min) { return min; }
    // Round up to the order multiple (a multiple of step at or above min).
    return Math.ceil(value / step) * step;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".step-btn");
    if (!button) { return; }
    var input = button.parentElement.querySelector("input");
    var step = parseInt(input.step, 10) || 1;
    var next = clamp(input, (parseInt(input.value, 10) || 0) + step * parseInt(button.dataset.delta, 10));
    if (String(next) === input.value) { return; }
    input.value = next;
    var form = button.closest("form[data-autosubmit]");
    if (form) { form.requestSubmit(); }
  });

  // A quantity typed in: rounded to a valid one, and sent where its form sends itself.
  // The count typed goes along as `requested` when it was raised, so the answer can say why.
  function typed(input) {
    var asked = parseInt(input.value, 10);
    input.value = clamp(input, asked);
    var form = input.closest("form[data-autosubmit]");
    if (form && asked > 0 && String(asked) !== input.value) {
      var note = form.querySelector("input[name=requested]");
      if (!note) {
        note = document.createElement("input");
        note.type = "hidden";
        note.name = "requested";
        form.appendChild(note);
      }
      note.value = asked;
    }
    if (form) { form.requestSubmit(); }
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.closest || !input.closest(".stepper")) { return; }
    typed(input);
  });

  // On a slow phone the page shows before this script runs: a quantity typed and left meanwhile
  // raised its change with no one listening. Send it now (after htmx has taken the forms, whose
  // ready handler was registered before this one), as the change would have. The steppers are
  // autocomplete="off": a value the browser restored on going back is not taken for one typed.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-autosubmit] .stepper input").forEach(function (input) {
      if (input.value !== input.defaultValue) { typed(input); }
    });
  });

  // A unit picker (按件 / 按箱) beside a stepper: the stepper then counts that unit, from its first
  // orderable count by its multiple.
  document.addEventListener("change", function (event) {
    var radio = event.target;
    if (!radio.closest || !radio.closest(".unit-picker")) { return; }
    var stepper = radio.form && radio.form.querySelector(".stepper");
    if (!stepper) { return; }
    var input = stepper.querySelector("input");
    input.min = radio.dataset.first;
    input.step = radio.dataset.step;
    input.value = radio.dataset.first;
    stepper.dataset.min = radio.dataset.first;
    stepper.dataset.step = radio.dataset.step;
  });

  // 省/市/区: picking a province offers its cities, a city its districts. The page comes with the
  // options of what is chosen; the rest are fetched once, when the first choice changes.
  var regions = null;
  function withRegions(picker, then) {
    if (regions) { then(regions); return; }
    fetch(picker.dataset.regions, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { regions = data; then(data); });
  }

  function fill(select, names, blank) {
    select.innerHTML = "";
    select.appendChild(new Option(blank, ""));
    names.forEach(function (name) { select.appendChild(new Option(name, name)); });
  }

  document.addEventListener("change", function (event) {
    var select = event.target;
    var picker = select.closest && select.closest(".region-picker");
    if (!picker || select.name === "district") { return; }
    var province = picker.querySelector("select[name=province]");
    var city = picker.querySelector("select[name=city]");
    var district = picker.querySelector("select[name=district]");
    withRegions(picker, function (data) {
      var cities = data[province.value] || {};
      if (select === province) {
        fill(city, Object.keys(cities), "请选择城市");
        if (city.options.length === 2) { city.selectedIndex = 1; }  // a municipality
      }
      fill(district, cities[city.value] || [], "请选择区县");
    });
  });

  // 扫码: a barcode (a waybill's, a product's) through the camera into the button's field, where
  // the browser can read barcodes (BarcodeDetector); elsewhere the button stays hidden and the
  // code is typed. data-scan-submit sends the form once the code is read.
  var FORMATS = ["code_128", "code_39", "code_93", "codabar", "ean_13", "itf", "qr_code"];
  var scanning = null;

  function stopScan() {
    if (!scanning) { return; }
    scanning.stream.getTracks().forEach(function (t) { t.stop(); });
    clearInterval(scanning.timer);
    scanning.panel.hidden = true;
    scanning = null;
  }

  function startScan(button) {
    var form = button.closest("form");
    var input = form.elements[button.dataset.scanInto];
    var panel = form.querySelector(".scanner");
    var video = panel.querySelector("video");
    var detector = new window.BarcodeDetector();
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (stream) {
        video.srcObject = stream;
        panel.hidden = false;
        scanning = { stream: stream, panel: panel, timer: null };
        return video.play().then(function () {
          scanning.timer = setInterval(function () {
            detector.detect(video).then(function (codes) {
              if (!codes.length || !scanning) { return; }
              input.value = codes[0].rawValue;
              input.dispatchEvent(new Event("change", { bubbles: true }));
              stopScan();
              if (button.hasAttribute("data-scan-submit")) { form.requestSubmit(); }
            });
          }, 250);
        });
      })
      .catch(function () {
        stopScan();
        window.alert("无法打开摄像头：请允许使用相机，或直接输入运单号");
      });
  }

  // Some browsers have BarcodeDetector but can read no format on this device: ask it.
  document.addEventListener("DOMContentLoaded", function () {
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices) { return; }
    window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (!formats.some(function (f) { return FORMATS.indexOf(f) >= 0; })) { return; }
      document.querySelectorAll("[data-scan-into]").forEach(function (b) { b.hidden = false; });
    });
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-scan-into]")) { startScan(event.target.closest("[data-scan-into]")); }
    if (event.target.closest(".scan-cancel")) { stopScan(); }
  });

  // A photo picker shows what was chosen, in words (the browser's own button is hidden).
  document.addEventListener("change", function (event) {
    var input = event.target;
    var pick = input.closest && input.closest(".file-pick");
    if (!pick || input.type !== "file") { return; }
    var n = input.files.length;
    pick.querySelector(".file-chosen").textContent = n === 1 ? input.files[0].name : "已选择 " + n + " 张照片";
  });

  function locate(form) {
    var status = form.querySelector(".geo-status");
    if (!navigator.geolocation) {
      status.textContent = "无法获取定位：请在微信中打开并允许定位";
      return;
    }
    status.textContent = "正在获取定位…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.lat.value = pos.coords.latitude;
      form.elements.lng.value = pos.coords.longitude;
      form.dataset.located = "1";
      status.textContent = "";
      form.requestSubmit();
    }, function () {
      status.textContent = "无法获取定位：请允许微信使用位置信息后重试";
    }, { enableHighAccuracy: true, timeout: 15000 });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (form.hasAttribute("data-geo") && !form.dataset.located) {
      event.preventDefault();
      locate(form);
      return;
    }
    if (form.hasAttribute("data-once")) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      // Disabled after the browser has taken the submission: a second tap sends nothing.
      setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    }
  });
})();
