"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const amt = (m) => (m && typeof m === "object") ? Number(m.amount) : Number(m || 0);
  const txt = (m) => (m && typeof m === "object") ? `${m.amount} ${m.currency}` : (m ?? "");
  function query(fmt) {
    const p = new URLSearchParams({format: fmt});
    if ($("from").value) p.set("from", $("from").value + "T00:00:00Z");
    if ($("to").value) p.set("to", $("to").value + "T23:59:59Z");
    return "/api/v1/finance/reconciliation?" + p;
  }
  function regionOf(r) { return r.region || (amt(r.vendor_paid) > 0 ? "north_america" : "international"); }
  function chart(rows) {
    const sums = {};
    for (const r of rows) {
      const month = String(r.created_at || r.ship_date || "").slice(0, 7) || "unknown";
      const region = regionOf(r);
      sums[month] = sums[month] || {north_america: 0, international: 0};
      sums[month][region] = (sums[month][region] || 0) + amt(r.label_cost) + amt(r.adjustments);
    }
    const months = Object.keys(sums).sort();
    const max = Math.max(1, ...months.map((m) => sums[m].north_america + sums[m].international));
    const w = 60, h = 180;
    const bars = months.map((m, i) => {
      const na = sums[m].north_america / max * h, intl = sums[m].international / max * h, x = 40 + i * w;
      return `<rect x="${x}" y="${h - na + 10}" width="36" height="${na}" fill="#0b5fff"><title>${m} North America ${sums[m].north_america.toFixed(2)} USD</title></rect>` +
        `<rect x="${x}" y="${h - na - intl + 10}" width="36" height="${intl}" fill="#f29d38"><title>${m} International ${sums[m].international.toFixed(2)} USD</title></rect>` +
        `<text x="${x}" y="${h + 26}">${m}</text>`;
    }).join("");
    $("chart").innerHTML = `<svg width="${Math.max(320, 60 + months.length * w)}" height="${h + 60}">` +
      `<text x="0" y="12">max ${max.toFixed(2)} USD</text>${bars}` +
      `<rect x="40" y="${h + 36}" width="10" height="10" fill="#0b5fff"></rect><text x="55" y="${h + 45}">North America (vendor-paid)</text>` +
      `<rect x="240" y="${h + 36}" width="10" height="10" fill="#f29d38"></rect><text x="255" y="${h + 45}">International (quoted)</text></svg>`;
  }
  async function load() {
    const res = await RRF.api("GET", query("json"));
    if (!res.ok) { RRF.showError("fin-error", res.data); return; }
    $("fin-error").hidden = true;
    const rows = Array.isArray(res.data) ? res.data : (res.data.rows || res.data.items || []);
    $("rows").innerHTML = rows.map((r) => `<tr><td>${RRF.esc(r.shipment_id)}</td><td>${RRF.esc(r.rr_number)}</td>` +
      `<td>${RRF.esc(r.tracking_number || "")}</td><td>${RRF.esc(r.payer || "")}</td><td>${RRF.esc(txt(r.quote))}</td>` +
      `<td>${RRF.esc(txt(r.authorized))}</td><td>${RRF.esc(txt(r.captured))}</td><td>${RRF.esc(txt(r.label_cost))}</td>` +
      `<td>${RRF.esc(txt(r.adjustments))}</td><td>${RRF.esc(txt(r.refunds))}</td><td>${RRF.esc(txt(r.vendor_paid))}</td>` +
      `<td>${RRF.esc(txt(r.variance))}</td><td><span class="pill">${RRF.esc(r.status)}</span></td></tr>`).join("");
    chart(rows);
  }
  $("range").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  $("csv").addEventListener("click", () => RRF.download(query("csv"), null, "reconciliation.csv"));
  $("invoice").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = new FormData(); form.append("file", $("invoice-file").files[0]);
    const res = await RRF.api("POST", "/api/v1/finance/carrier-invoices", form);
    $("invoice-result").textContent = res.ok ? JSON.stringify(res.data) : (res.data.detail || res.status);
    if (res.ok) load();
  });
  load();
})();
