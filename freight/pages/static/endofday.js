"use strict";
// The shipping desk's end of day: today's labels per carrier, manifests, the pickup window.
(() => {
  const $ = (id) => document.getElementById(id);
  let day = null;
  const time = (iso) => iso ? new Date(iso).toLocaleTimeString("en-GB", {hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: day.timezone}) : "";

  function pickupText(p) {
    if (!p) return "none";
    const start = p.confirmed_start_time || p.requested_start_time;
    const end = p.confirmed_end_time || p.requested_end_time;
    return `${time(start)}–${time(end)} ${p.state}${p.confirmation_code ? " (" + p.confirmation_code + ")" : ""}`;
  }

  function manifestsHtml(ms) {
    return ms.map((m) => m.document_url
      ? `<a href="#" data-manifest="${RRF.esc(m.document_url)}">${RRF.esc(m.labels)} label(s) ${RRF.esc(m.state)}</a>`
      : `${RRF.esc(m.labels)} label(s) ${RRF.esc(m.state)}${m.error ? ": " + RRF.esc(m.error) : ""}`).join("<br>") || "none";
  }

  async function load() {
    const res = await RRF.api("GET", "/api/v1/end-of-day");
    if (!res.ok) { RRF.showError("eod-error", res.data); return; }
    day = res.data;
    $("eod-summary").textContent = `${day.date} · business hours ${day.business_hours} (${day.timezone})`;
    $("eod-rows").innerHTML = day.carriers.map((c) =>
      `<tr data-carrier="${RRF.esc(c.carrier)}"><td>${RRF.esc(c.carrier)}</td><td>${c.labels.length}</td>` +
      `<td>${c.manifested}</td><td>${c.waiting}</td><td>${manifestsHtml(c.manifests)}</td>` +
      `<td>${RRF.esc(pickupText(c.pickup))}</td>` +
      `<td>${c.waiting ? `<button type="button" data-close="${RRF.esc(c.carrier)}">Close the day</button>` : ""}</td></tr>`).join("") ||
      `<tr><td colspan="7">No labels today.</td></tr>`;
    $("p-carrier").innerHTML = day.carriers.map((c) => `<option>${RRF.esc(c.carrier)}</option>`).join("");
    for (const b of document.querySelectorAll("button[data-close]")) {
      b.addEventListener("click", () => closeDay(b.dataset.close));
    }
    for (const a of document.querySelectorAll("a[data-manifest]")) {
      a.addEventListener("click", (ev) => { ev.preventDefault(); RRF.download(a.dataset.manifest, null, "manifest.pdf"); });
    }
  }

  async function closeDay(carrier) {
    $("eod-error").hidden = true;
    const res = await RRF.api("POST", "/api/v1/manifests", {carrier, ship_date: day.date});
    if (!res.ok) { RRF.showError("eod-error", res.data); return; }
    $("eod-done").hidden = false;
    $("eod-done").textContent = `Manifest for ${carrier}: ${res.data.labels} label(s), ${res.data.state}.`;
    load();
    setTimeout(load, 1500);
  }

  $("pickup-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("eod-error").hidden = true;
    const at = (hhmm) => `${day.date}T${hhmm}:00${day.utc_offset}`;
    const body = {carrier: $("p-carrier").value, requested_start_time: at($("p-start").value),
      requested_end_time: at($("p-end").value)};
    const res = await RRF.api("POST", "/api/v1/pickups", body);
    if (!res.ok) { RRF.showError("eod-error", res.data); return; }
    $("eod-done").hidden = false;
    $("eod-done").textContent = `Pickup for ${res.data.carrier}: ${pickupText(res.data)}.`;
    load();
    setTimeout(load, 1500);
  });
  load();
})();
