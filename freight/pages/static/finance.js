"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const esc = (v) => RRF.esc(v == null ? "" : String(v));
  const num = (v) => Number(v || 0);
  const REGIONS = {north_america: "North America", international: "International"};
  const PAYERS = {vendor: "Vendor", customer: "Customer"};
  const STATUS = {open: "Open", reconciled: "Reconciled", mismatch: "Mismatch"};
  const words = (v) => String(v || "").replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
  const money = (v, cur) => (v === "" || v == null) ? "" : `${Number(v).toFixed(2)} ${cur}`;
  const charts = {};
  function query(fmt) {
    const p = new URLSearchParams({format: fmt});
    if ($("from").value) p.set("from", $("from").value + "T00:00:00Z");
    if ($("to").value) p.set("to", $("to").value + "T23:59:59Z");
    return "/api/v1/finance/reconciliation?" + p;
  }
  function draw(id, type, labels, datasets, stacked) {
    if (charts[id]) charts[id].destroy();
    if (typeof Chart === "undefined") return;
    charts[id] = new Chart($(id), {
      type, data: {labels, datasets},
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: {legend: {position: "bottom"}},
        scales: {x: {stacked}, y: {stacked, beginAtZero: true, title: {display: true, text: "USD equivalent"}}},
      },
    });
  }
  function drawCharts(rows) {
    const months = [...new Set(rows.map((r) => String(r.created_at || "").slice(0, 7)))].sort();
    const sum = (pick, keep) => months.map((m) => rows.filter((r) => String(r.created_at).startsWith(m) && keep(r))
      .reduce((a, r) => a + num(pick(r)), 0));
    const cost = (r) => num(r.label_cost) + num(r.adjustments);
    draw("chart-region", "bar", months, [
      {label: "North America", data: sum(cost, (r) => r.region === "north_america"), backgroundColor: "#0b5fff"},
      {label: "International", data: sum(cost, (r) => r.region !== "north_america"), backgroundColor: "#c25e00"},
    ], true);
    draw("chart-variance", "bar", months, [
      {label: "Quoted", data: sum((r) => r.quote, (r) => r.quote !== ""), backgroundColor: "#6b7c93"},
      {label: "Label cost", data: sum(cost, (r) => r.quote !== ""), backgroundColor: "#0b5fff"},
      {label: "Variance", data: sum((r) => r.variance, (r) => r.quote !== ""), backgroundColor: "#b3261e"},
    ], false);
    draw("chart-vendor", "line", months, [
      {label: "Vendor-paid freight", data: sum((r) => r.vendor_paid_freight, () => true), borderColor: "#1b7f3b",
        backgroundColor: "#1b7f3b"},
    ], false);
    const total = rows.reduce((a, r) => a + cost(r), 0), vendor = rows.reduce((a, r) => a + num(r.vendor_paid_freight), 0);
    $("chart-summary").textContent = months.length
      ? `${rows.length} shipments over ${months.length} month(s): freight ${total.toFixed(2)}, of which vendor-paid ${vendor.toFixed(2)}.`
      : "No shipments in this range.";
  }
  function cell(v, cls) { return `<td${cls ? ` class="${cls}"` : ""}>${esc(v)}</td>`; }
  function row(r) {
    const cur = r.currency || "USD";
    const quote = r.quote === "" ? "none (vendor pays)" : money(r.quote, cur);
    return "<tr>" + cell(r.shipment_id) + cell(r.rr_number) + cell(String(r.created_at || "").slice(0, 10)) +
      cell(REGIONS[r.region] || words(r.region)) + cell(r.carrier_name || words(r.carrier)) +
      cell(r.tracking_number || "no label yet") + cell(PAYERS[r.payer] || words(r.payer)) + cell(quote, "num") +
      cell(money(r.authorized, cur), "num") + cell(money(r.captured, cur), "num") + cell(money(r.label_cost, cur), "num") +
      cell(money(r.adjustments, cur), "num") + cell(money(r.refunds, cur), "num") +
      cell(money(r.vendor_paid_freight, cur), "num") + cell(money(r.variance, cur), "num") +
      `<td><span class="pill">${esc(STATUS[r.status] || words(r.status))}</span></td></tr>`;
  }
  async function load() {
    const res = await RRF.api("GET", query("json"));
    if (!res.ok) { RRF.showError("fin-error", res.data); return; }
    $("fin-error").hidden = true;
    const rows = (res.data.rows || []).filter((r) => r.purpose !== "credit" || r.shipment_id);
    $("rows").innerHTML = rows.map(row).join("") ||
      `<tr><td colspan="16">No shipments in this range.</td></tr>`;
    const c = res.data.counts || {};
    $("fin-counts").textContent = `Reconciled ${c.reconciled || 0}, mismatch ${c.mismatch || 0}, open ${c.open || 0}.`;
    drawCharts(rows);
  }
  function importRows(data) {
    const line = (kind, l, detail) => "<tr>" + cell(kind) + cell(l.row) + cell(l.tracking_number) + cell(l.carrier) +
      cell(l.invoice_number) + cell(money(l.amount, l.currency), "num") + cell(detail) + "</tr>";
    return (data.matched_lines || []).map((l) => line("Matched", l, `shipment ${l.shipment_id}`)).join("") +
      (data.unmatched_lines || []).map((l) => line("Unmatched", l, "no shipment with this tracking number")).join("");
  }
  $("range").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  $("csv").addEventListener("click", () => RRF.download(query("csv"), null, "reconciliation.csv"));
  $("invoice").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = new FormData(); form.append("file", $("invoice-file").files[0]);
    const res = await RRF.api("POST", "/api/v1/finance/carrier-invoices", form);
    $("invoice-error").hidden = true;
    $("invoice-table-wrap").hidden = false;
    if (res.ok) {
      const d = res.data;
      $("invoice-summary").textContent = `Imported ${d.imported} of ${d.lines} line(s): ${d.matched} matched, ` +
        `${d.unmatched} unmatched, ${d.duplicates} already imported, 0 row errors.`;
      $("invoice-rows").innerHTML = importRows(d);
      load();
      return;
    }
    const errors = (res.data && res.data.errors) || [];
    $("invoice-summary").textContent = `Nothing imported: ${errors.length} row error(s).`;
    $("invoice-rows").innerHTML = errors.map((e) => {
      const m = /^file\.row(\d+)\.(.+)$/.exec(e.field || "");
      return "<tr>" + cell("Row error") + cell(m ? m[1] : "") + cell("") + cell("") + cell("") + cell("") +
        cell(`${m ? m[2] : e.field}: ${e.message}`) + "</tr>";
    }).join("");
    if (!errors.length) RRF.showError("invoice-error", res.data);
  });
  load();
})();
