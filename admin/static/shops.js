// 打单发货: pick orders, then merge, waybills, labels or ship; batches go in chunks with a
// progress bar, and each failure is listed in words. The search box takes a scanner's Enter.
(function () {
  "use strict";
  const bar = document.getElementById("batchbar");
  if (!bar) return;
  const CHUNK = 20;
  const picks = function () { return Array.from(document.querySelectorAll("input.pick:checked")).map(function (c) { return c.value; }); };
  const count = document.getElementById("selected-count");
  const progress = document.getElementById("batch-progress");
  const status = document.getElementById("batch-status");
  const failures = document.getElementById("batch-failures");

  function refresh() { count.textContent = "已选 " + picks().length + " 单"; }
  document.addEventListener("change", function (event) {
    if (event.target.id === "select-all") {
      document.querySelectorAll("input.pick").forEach(function (c) { c.checked = event.target.checked; });
    }
    refresh();
  });

  function need(ids) {
    if (ids.length) return true;
    status.textContent = "请先勾选订单";
    return false;
  }

  async function batch(url, label, extra) {
    const ids = picks();
    if (!need(ids)) return;
    failures.replaceChildren();
    progress.hidden = false; progress.max = ids.length; progress.value = 0;
    let ok = 0;
    for (let i = 0; i < ids.length; i += CHUNK) {
      const body = new URLSearchParams({ ids: ids.slice(i, i + CHUNK).join(","), csrf_token: bar.dataset.csrf, ...extra });
      let answer;
      try {
        const response = await fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": bar.dataset.csrf } });
        answer = await response.json();
      } catch (error) {
        answer = { ok: [], failed: [{ number: "", error: "网络错误，请重试" }] };
      }
      ok += answer.ok.length;
      answer.failed.forEach(function (f) {
        const item = document.createElement("li");
        const named = f.number && f.error.indexOf(f.number) < 0;
        item.textContent = (named ? f.number + "：" : "") + f.error;
        failures.appendChild(item);
      });
      progress.value = Math.min(i + CHUNK, ids.length);
      status.textContent = label + "：已处理 " + progress.value + " / " + ids.length + " 单";
    }
    status.textContent = label + "完成：成功 " + ok + " 单" + (failures.children.length ? "，失败 " + failures.children.length + " 单（见下方原因）" : "");
    if (!failures.children.length) setTimeout(function () { window.location.reload(); }, 800);
  }

  document.getElementById("do-waybills").addEventListener("click", function () {
    batch(bar.dataset.waybills, "取单号", { carrier: document.getElementById("carrier").value });
  });
  document.getElementById("do-ship").addEventListener("click", function () { batch(bar.dataset.ship, "发货", {}); });
  document.getElementById("do-labels").addEventListener("click", function () {
    const ids = picks();
    if (need(ids)) window.open(bar.dataset.labels + "?ids=" + ids.join(","), "_blank");
  });
  document.getElementById("merge-form").addEventListener("submit", function (event) {
    const ids = picks();
    if (!need(ids)) { event.preventDefault(); return; }
    event.target.querySelector("input[name=ids]").value = ids.join(",");
  });
})();
