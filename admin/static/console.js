// Console behaviour: keyboard navigation in lists, clickable rows, dashboard and report charts.
(function () {
  "use strict";

  function rows(list) { return Array.from(list.querySelectorAll("tr[data-href]")); }

  // On an order: a → approval comment, r → rejection reason, s → shipping, q → back to the queue.
  const ORDER_KEYS = {
    a: "#approve-form input[name=comment]",
    r: "#reject-form input[name=reason]",
    s: "#ship-form input[name=carrier]",
  };

  // j / k move the selection in the first keyboard list on the page, Enter opens it.
  document.addEventListener("keydown", function (event) {
    const target = event.target;
    if (target.closest("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
    if (ORDER_KEYS[event.key] && document.querySelector(ORDER_KEYS[event.key])) {
      document.querySelector(ORDER_KEYS[event.key]).focus();
      event.preventDefault();
      return;
    }
    if (event.key === "q" && document.getElementById("back-to-queue")) {
      window.location = document.getElementById("back-to-queue").href;
      return;
    }
    const list = document.querySelector("[data-keyboard-list]");
    if (!list) return;
    const all = rows(list);
    if (!all.length) return;
    let index = all.findIndex(function (r) { return r.classList.contains("selected"); });
    if (event.key === "j" || event.key === "k") {
      if (index >= 0) all[index].classList.remove("selected");
      index = event.key === "j" ? Math.min(index + 1, all.length - 1) : Math.max(index - 1, 0);
      all[index].classList.add("selected");
      all[index].focus();
      event.preventDefault();
    } else if (event.key === "Enter" && index >= 0) {
      window.location = all[index].dataset.href;
    }
  });

  document.addEventListener("click", function (event) {
    const row = event.target.closest("tr[data-href]");
    if (row && !event.target.closest("a, button, input, select, form")) {
      window.location = row.dataset.href;
    }
  });

  // A form that asks first (deleting something, sending money): data-confirm is the question;
  // {name} in it is what the form's field of that name holds ("确定退款 ¥{amount} 吗？").
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form.dataset.confirm) return;
    const question = form.dataset.confirm.replace(/\{(\w+)\}/g, function (_, name) {
      const field = form.elements.namedItem(name);
      return field ? field.value.trim() : "";
    });
    if (!window.confirm(question)) event.preventDefault();
  });

  // 省/市/区 pickers: a province offers its cities, a city its districts (data fetched once).
  let regions = null;
  document.addEventListener("change", async function (event) {
    const picker = event.target.closest(".region-picker");
    if (!picker || event.target.name === "district") return;
    regions = regions || await (await fetch(picker.dataset.regions, { credentials: "same-origin" })).json();
    const [province, city, district] = ["province", "city", "district"].map(function (name) {
      return picker.querySelector("select[name=" + name + "]");
    });
    const cities = regions[province.value] || {};
    const offer = function (select, names) {
      select.replaceChildren(new Option("请选择", ""), ...names.map(function (n) { return new Option(n, n); }));
    };
    if (event.target === province) {
      offer(city, Object.keys(cities));
      if (city.options.length === 2) city.selectedIndex = 1;  // a municipality
    }
    offer(district, cities[city.value] || []);
  });

  const EMPTY = { text: "暂无数据", left: "center", top: "middle", textStyle: { color: "#999", fontSize: 14 } };

  function chart(id, option, empty) {
    const el = document.getElementById(id);
    if (!el || !window.echarts) return;
    if (empty) option = { title: EMPTY };
    const instance = window.echarts.init(el);
    instance.setOption(option);
    window.addEventListener("resize", function () { instance.resize(); });
  }

  function dashboard() {
    const source = document.getElementById("dashboard-data");
    if (!source) return;
    const d = JSON.parse(source.textContent);
    chart("chart-daily", {
      tooltip: { trigger: "axis" },
      legend: { data: ["订单数", "金额"] },
      xAxis: { type: "category", data: d.days.map(function (s) { return s.slice(5); }) },
      yAxis: [{ type: "value", name: "单" }, { type: "value", name: "元" }],
      series: [
        { name: "订单数", type: "bar", data: d.orders_per_day },
        { name: "金额", type: "line", yAxisIndex: 1, data: d.amount_per_day.map(Number) },
      ],
    });
    chart("chart-top", {
      tooltip: {},
      grid: { left: 120 },
      xAxis: { type: "value" },
      yAxis: { type: "category", inverse: true, data: d.top_products.map(function (p) { return p.name; }) },
      series: [{ type: "bar", data: d.top_products.map(function (p) { return Number(p.amount); }) }],
    }, d.top_products.length === 0);
    chart("chart-waiting", {
      tooltip: {},
      xAxis: { type: "category", data: d.waiting_ages.map(function (p) { return p[0]; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: d.waiting_ages.map(function (p) { return p[1]; }) }],
    }, d.waiting_count === 0);
    if (d.aging) {
      chart("chart-aging", {
        tooltip: { trigger: "item" },
        series: [{
          type: "pie",
          radius: ["40%", "70%"],
          data: Object.keys(d.aging).map(function (k) { return { name: k + " 天", value: Number(d.aging[k]) }; }),
        }],
      }, Object.values(d.aging).every(function (v) { return Number(v) === 0; }));
    }
  }

  // A horizontal bar chart of [name, amount] pairs, largest first.
  function bars(id, pairs) {
    chart(id, {
      tooltip: {},
      grid: { left: 120, right: 24 },
      xAxis: { type: "value", name: "元" },
      yAxis: { type: "category", inverse: true, data: pairs.map(function (p) { return p[0]; }) },
      series: [{ type: "bar", data: pairs.map(function (p) { return Number(p[1]); }) }],
    }, pairs.length === 0);
  }

  // Picking a period preset shows it at once; typing a date makes the period a custom one.
  function reportFilters() {
    const form = document.getElementById("report-filters");
    if (!form) return;
    form.preset.addEventListener("change", function () {
      form.date_from.value = "";
      form.date_to.value = "";
      form.submit();
    });
    [form.date_from, form.date_to].forEach(function (input) {
      input.addEventListener("change", function () { form.preset.value = "custom"; });
    });
  }

  function reports() {
    reportFilters();
    const source = document.getElementById("reports-data");
    if (!source) return;
    const d = JSON.parse(source.textContent);
    bars("chart-branches", d.branches);
    bars("chart-reps", d.reps);
    bars("chart-customers", d.customers);
    bars("chart-products", d.products);
    chart("chart-days", {
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: d.days.map(function (p) { return p[0].slice(5); }) },
      yAxis: { type: "value", name: "元" },
      series: [{ type: "bar", data: d.days.map(function (p) { return Number(p[1]); }) }],
    }, d.days.length === 0);
    chart("chart-targets", {
      tooltip: { trigger: "axis" },
      legend: { data: ["目标", "已完成"] },
      grid: { left: 120, right: 24 },
      xAxis: { type: "value", name: "元" },
      yAxis: { type: "category", inverse: true, data: d.targets.map(function (t) { return t[0]; }) },
      series: [
        { name: "目标", type: "bar", data: d.targets.map(function (t) { return Number(t[1]); }) },
        { name: "已完成", type: "bar", data: d.targets.map(function (t) { return Number(t[2]); }) },
      ],
    }, d.targets.length === 0);
  }

  // Deferred scripts (ECharts among them) have all run when DOMContentLoaded fires.
  document.addEventListener("DOMContentLoaded", dashboard);
  document.addEventListener("DOMContentLoaded", reports);
})();
