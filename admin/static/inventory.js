// 库存成本 pages: the count's scan-friendly entry (a scanner types the SKU and Enter) and the
// profit report's charts. No inline scripts (CSP).
(function () {
  "use strict";

  function countEntry() {
    const scan = document.getElementById("scan");
    const source = document.getElementById("count-catalogue");
    if (!scan || !source) return;
    const catalogue = JSON.parse(source.textContent);
    const bySku = {};
    Object.keys(catalogue).forEach(function (sku) { bySku[sku.toLowerCase()] = Object.assign({ sku: sku }, catalogue[sku]); });
    const body = document.querySelector("#count-lines tbody");
    const message = document.getElementById("scan-message");

    function say(text, bad) {
      message.textContent = text;
      message.classList.toggle("bad", !!bad);
    }

    function variance(row) {
      const counted = parseInt(row.querySelector("input[name=counted_qty]").value, 10);
      const book = parseInt(row.dataset.book, 10);
      row.querySelector(".variance").textContent = isNaN(counted) ? "" : (counted - book > 0 ? "+" : "") + (counted - book);
    }

    function add(product) {
      let row = body.querySelector("tr[data-product='" + product.id + "']");
      if (row) {
        const input = row.querySelector("input[name=counted_qty]");
        input.value = (parseInt(input.value, 10) || 0) + 1;
      } else {
        row = document.createElement("tr");
        row.dataset.product = product.id;
        row.dataset.book = product.book;
        row.innerHTML = "<td></td><td></td><td class='num'></td>" +
          "<td><input type='hidden' name='product_id'><input name='counted_qty' inputmode='numeric' value='1'></td>" +
          "<td class='num variance'></td><td><button type='button' class='secondary outline small remove'>移除</button></td>";
        row.children[0].textContent = product.sku;
        row.children[1].textContent = product.name;
        row.children[2].textContent = product.book;
        row.querySelector("input[name=product_id]").value = product.id;
        row.querySelector("input[name=counted_qty]").setAttribute("aria-label", product.name + " 实盘数量");
        body.appendChild(row);
      }
      variance(row);
      const counted = row.querySelector("input[name=counted_qty]").value;
      say(product.name + "：实盘 " + counted + " " + product.unit + "（账面 " + product.book + "）", false);
    }

    // A refused count comes back with its lines as typed: their differences as well.
    body.querySelectorAll("tr[data-product]").forEach(variance);

    scan.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      const code = scan.value.trim();
      scan.value = "";
      if (!code) return;
      const product = bySku[code.toLowerCase()];
      if (!product) {
        say("条码 " + code + " 不是本系统的商品编码，请核对后重扫", true);
        return;
      }
      add(product);
    });
    body.addEventListener("input", function (event) {
      const row = event.target.closest("tr");
      if (row) variance(row);
    });
    body.addEventListener("click", function (event) {
      if (event.target.classList.contains("remove")) {
        event.target.closest("tr").remove();
        scan.focus();
      }
    });
  }

  function profitCharts() {
    const source = document.getElementById("profit-data");
    if (!source || !window.echarts) return;
    const d = JSON.parse(source.textContent);
    const el = document.getElementById("chart-profit");
    const chart = window.echarts.init(el);
    if (d.rows.length === 0) {
      chart.setOption({ title: { text: "暂无数据", left: "center", top: "middle", textStyle: { color: "#999", fontSize: 14 } } });
      return;
    }
    const names = d.rows.map(function (r) { return r[0]; });
    const series = ["净销售额", "成本", "费用", "利润"].map(function (name, i) {
      return { name: name, type: "bar", data: d.rows.map(function (r) { return Number(r[i + 1]); }) };
    });
    series.push({ name: "毛利率", type: "line", yAxisIndex: 1, data: d.rows.map(function (r) { return r[5] === null ? null : Number(r[5]); }) });
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: ["净销售额", "成本", "费用", "利润", "毛利率"] },
      xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: names.length > 6 ? 30 : 0 } },
      yAxis: [{ type: "value", name: "元" }, { type: "value", name: "%", max: 100 }],
      series: series,
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", countEntry);
  document.addEventListener("DOMContentLoaded", profitCharts);
})();
