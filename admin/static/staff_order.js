// 代客下单: 添加 moves a search result into the order's lines, quantities start at what the product
// allows (its minimum, on its multiple) in the unit picked (base unit first; picking another starts
// it again at that unit's first count), the price is shown per unit picked and the total as typed
// (the server prices the order again on submit). No inline scripts (CSP).
(function () {
  "use strict";

  function fen(text) { return Math.round(parseFloat(text) * 100); }
  function yuan(cents) { return "¥" + (cents / 100).toFixed(2); }
  function unitsOf(row) { return JSON.parse(row.dataset.units || "[]"); }
  function picked(row) {
    const field = row.querySelector("[name=unit]");
    const name = field ? field.value : "";
    return unitsOf(row).find(function (u) { return u.name === name; }) || unitsOf(row)[0];
  }

  function recount() {
    const body = document.querySelector("#order-lines tbody");
    if (!body) return;
    let total = 0;
    body.querySelectorAll("tr").forEach(function (row) {
      const qty = parseInt(row.querySelector("input.qty").value, 10);
      const unit = picked(row);
      const each = fen(row.dataset.price) * unit.factor;
      row.querySelector(".unit-price").textContent = yuan(each) + "/" + unit.name;
      const amount = isNaN(qty) ? 0 : each * qty;
      row.querySelector(".amount").textContent = isNaN(qty) ? "" : yuan(amount);
      total += amount;
    });
    document.getElementById("order-total").textContent = yuan(total);
    document.getElementById("no-lines").hidden = body.children.length > 0;
  }

  function add(result) {
    const body = document.querySelector("#order-lines tbody");
    const d = result.dataset;
    let row = body.querySelector("tr[data-product='" + d.product + "']");
    if (!row) {
      row = document.createElement("tr");
      ["product", "price", "min", "step", "units"].forEach(function (k) { row.dataset[k] = d[k]; });
      row.innerHTML = "<td></td><td></td><td class='num unit-price'></td>" +
        "<td class='line-qty'><input type='hidden' name='product_id'><input name='qty' inputmode='numeric' class='qty'> </td>" +
        "<td class='num amount'></td><td><button type='button' class='secondary outline small remove'>移除</button></td>";
      row.children[0].textContent = d.sku;
      row.children[1].textContent = d.name;
      row.querySelector("input[name=product_id]").value = d.product;
      const choices = unitsOf(row);
      const cell = row.querySelector(".line-qty");
      if (choices.length > 1) {
        const select = document.createElement("select");
        select.name = "unit";
        select.className = "unit";
        select.setAttribute("aria-label", d.name + " 单位");
        choices.forEach(function (u) { select.add(new Option(u.label, u.name)); });
        cell.appendChild(select);
      } else {
        const unit = document.createElement("input");
        unit.type = "hidden";
        unit.name = "unit";
        unit.value = d.unit;
        cell.appendChild(unit);
        cell.appendChild(document.createTextNode(d.unit));
      }
      const qty = row.querySelector("input.qty");
      qty.value = choices[0].first;
      qty.setAttribute("aria-label", d.name + " 数量");
      body.appendChild(row);
    }
    recount();
    row.querySelector("input.qty").focus();
    row.querySelector("input.qty").select();
  }

  document.addEventListener("click", function (event) {
    const adding = event.target.closest("#product-results button.add");
    if (adding) { add(adding.closest("tr")); return; }
    const removing = event.target.closest("#order-lines button.remove");
    if (removing) { removing.closest("tr").remove(); recount(); }
  });
  document.addEventListener("input", function (event) {
    if (event.target.closest("#order-lines")) recount();
  });
  document.addEventListener("change", function (event) {
    if (!event.target.matches("#order-lines select.unit")) return;
    const row = event.target.closest("tr");
    row.querySelector("input.qty").value = picked(row).first;
    recount();
  });
  document.addEventListener("submit", function (event) {
    if (event.target.id !== "order-form") return;
    const button = document.getElementById("place-order");
    // The page's Idempotency-Key makes a second submit the same order; this spares the wait.
    setTimeout(function () { button.disabled = true; button.setAttribute("aria-busy", "true"); }, 0);
  });
  document.addEventListener("DOMContentLoaded", recount);
})();
