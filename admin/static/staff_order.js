// 代客下单: 添加 moves a search result into the order's lines, quantities start at what the product
// allows (its minimum, on its multiple), and the total is shown as typed (the server prices the
// order again on submit). No inline scripts (CSP).
(function () {
  "use strict";

  function fen(text) { return Math.round(parseFloat(text) * 100); }
  function yuan(cents) { return "¥" + (cents / 100).toFixed(2); }
  function firstQty(min, step) { return min % step ? min + step - (min % step) : min; }

  function recount() {
    const body = document.querySelector("#order-lines tbody");
    if (!body) return;
    let total = 0;
    body.querySelectorAll("tr").forEach(function (row) {
      const qty = parseInt(row.querySelector("input.qty").value, 10);
      const amount = isNaN(qty) ? 0 : fen(row.dataset.price) * qty;
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
      ["product", "price", "min", "step"].forEach(function (k) { row.dataset[k] = d[k]; });
      row.innerHTML = "<td></td><td></td><td class='num'></td>" +
        "<td><input type='hidden' name='product_id'><input name='qty' inputmode='numeric' class='qty'> <span class='unit'></span></td>" +
        "<td class='num amount'></td><td><button type='button' class='secondary outline small remove'>移除</button></td>";
      row.children[0].textContent = d.sku;
      row.children[1].textContent = d.name;
      row.children[2].textContent = "¥" + d.price;
      row.querySelector(".unit").textContent = d.unit;
      row.querySelector("input[name=product_id]").value = d.product;
      const qty = row.querySelector("input.qty");
      qty.value = firstQty(parseInt(d.min, 10), parseInt(d.step, 10));
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
  document.addEventListener("submit", function (event) {
    if (event.target.id !== "order-form") return;
    const button = document.getElementById("place-order");
    // The page's Idempotency-Key makes a second submit the same order; this spares the wait.
    setTimeout(function () { button.disabled = true; button.setAttribute("aria-busy", "true"); }, 0);
  });
  document.addEventListener("DOMContentLoaded", recount);
})();
