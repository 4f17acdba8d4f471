"use strict";
(() => {
  const rr = document.getElementById("rr").dataset.rr;
  const token = sessionStorage.getItem("rrf.customer." + rr);
  const base = "/api/v1/track/" + encodeURIComponent(rr);
  const $ = (id) => document.getElementById(id);

  function shipmentHtml(s) {
    const events = (s.events || []).slice().reverse().map((e) =>
      `<li><time>${RRF.when(e.occurred_at)}</time> ${RRF.esc(e.text || words(e.status))}` +
      `${e.location ? " · " + RRF.esc(e.location) : ""}</li>`).join("");
    const number = s.tracking_url
      ? `<a href="${RRF.esc(s.tracking_url)}" rel="noopener">${RRF.esc(s.tracking_number || "")}</a>`
      : RRF.esc(s.tracking_number || "");
    return `<div class="shipment"><p><strong>${RRF.esc(s.carrier_service || s.carrier_name || "")}</strong> ${number}` +
      ` <span class="pill">${RRF.esc(s.status_label || words(s.status))}</span>${s.eta && s.status !== "DELIVERED" ? " · ETA " + RRF.when(s.eta) : ""}` +
      `${s.ship_date ? " · ships " + RRF.when(s.ship_date) : ""}</p><ul class="events">${events}</ul></div>`;
  }

  const money = (m) => m ? `${m.amount} ${m.currency}` : "";
  const words = (v) => String(v || "").replace(/_/g, " ").toLowerCase().replace(/^./, (c) => c.toUpperCase());

  function receiptHtml(p) {
    const parts = [];
    if (p.authorized) parts.push(`Authorized ${RRF.esc(money(p.authorized))} on your card`);
    if (p.captured) parts.push(`captured (charged) ${RRF.esc(money(p.captured))}`);
    else if (p.status === "authorized") parts.push("not charged yet: we charge the label's cost when we ship");
    if (p.refunded) parts.push(`refunded ${RRF.esc(money(p.refunded))}`);
    if (p.status === "cancelled") parts.push("hold released");
    const action = p.action_needed ? `<p class="error">${RRF.esc(p.message || "")}</p>` +
      `<button type="button" data-reconfirm="${RRF.esc(p.quote_id)}" data-amount="${RRF.esc(money(p.amount))}">Confirm card</button>` : "";
    return `<div class="receipt"><p><strong>Freight${p.service ? ", " + RRF.esc(p.service.replace(/_/g, " ")) : ""}</strong>: ` +
      `${parts.join(" · ")}</p>${action}</div>`;
  }

  function paid(quote) {
    const p = quote.payment;
    $("quote").hidden = true;
    $("payment-done").hidden = false;
    $("payment-done").textContent = `Authorized ${money(p.authorized)} on your card for ` +
      `${quote.carrier_service || quote.service}. We charge the label's cost (at most this) when we ship.`;
    load();
  }

  async function reconfirm(quoteId, amount) {
    const res = await RRF.api("GET", `/api/v1/quotes/${encodeURIComponent(quoteId)}/payment-intent`, null, token);
    if (!res.ok) { RRF.showError("track-error", res.data); return; }
    RRFPay.open(res.data.payment_intent, {quoteId, token, amount, done: paid});
  }

  async function load() {
    if (!token) { $("need-lookup").hidden = false; return; }
    const res = await RRF.api("GET", base, null, token);
    if (!res.ok) {
      if (res.status === 401) {
        $("need-lookup-text").textContent = "Your access to this page has expired.";
        $("need-lookup").hidden = false; return;
      }
      RRF.showError("track-error", res.data); return;
    }
    const t = res.data;
    $("summary").hidden = false;
    $("status-text").textContent = t.status_text || t.status;
    $("status").textContent = t.status_label || words(t.status);
    $("carton-label").hidden = !t.show_carton_label;
    const rej = t.rejection;
    $("rejection").hidden = !rej;
    if (rej) {
      $("rejection-reasons").innerHTML = rej.reasons.map((r) => `<li>${RRF.esc(r)}</li>`).join("");
      $("rejection-received").textContent = `Received on ${rej.received_on}; not accepted because:`;
    }
    const d = t.deadlines || {};
    $("deadline").textContent = d.repair_due ? "Repair due by " + d.repair_due :
      d.inbound_deadline ? "Ship the unit to us before " + RRF.when(d.inbound_deadline) : "";
    $("next-steps").innerHTML = (t.next_steps || []).map((s) => `<li>${RRF.esc(s)}</li>`).join("");
    $("replacement").hidden = !t.replacement;
    if (t.replacement) $("replacement").textContent = t.replacement.text;
    $("refund").hidden = !t.refund;
    if (t.refund) $("refund").textContent = t.refund.status === "refunded"
      ? `Refunded ${t.refund.refund.amount} ${t.refund.refund.currency}: the price ${t.refund.price.amount} less the restocking fee ${t.refund.restocking_fee.amount}.`
      : `Refund of ${t.refund.refund.amount} ${t.refund.refund.currency} (price less the restocking fee): ${t.refund.status}.`;
    loadInboundLabel(t.status);
    const awaiting = ["issued", "inbound_in_transit"].includes(t.status);
    $("inbound-card").hidden = !(awaiting || (t.inbound || []).length);
    $("register-inbound").hidden = !["issued", "inbound_in_transit"].includes(t.status);
    $("inbound").innerHTML = (t.inbound || []).map(shipmentHtml).join("") || "<p>No tracking number yet.</p>";
    const outbound = t.outbound || [];
    $("outbound-card").hidden = outbound.length === 0;
    $("outbound").innerHTML = outbound.map(shipmentHtml).join("");
    $("damage-card").hidden = !outbound.some((s) => s.status === "DELIVERED");
    const q = t.open_quote;
    $("quote").hidden = !q;
    if (q) {
      $("quote").dataset.id = q.id;
      $("quote-text").textContent = `${q.carrier_service || q.service}: ${q.amount.amount} ${q.amount.currency}` +
        `${q.estimated_days ? ", about " + q.estimated_days + " days" : ""}; valid until ${RRF.when(q.expires_at)}.`;
    }
    const receipts = t.payments || [];
    $("payments-card").hidden = receipts.length === 0;
    $("payments").innerHTML = receipts.map(receiptHtml).join("");
    for (const b of document.querySelectorAll("button[data-reconfirm]")) {
      b.addEventListener("click", () => reconfirm(b.dataset.reconfirm, b.dataset.amount));
    }
    const claims = t.claims || [];
    $("claims-card").hidden = claims.length === 0;
    $("claims").innerHTML = claims.map((c) =>
      `<div class="claim"><p><strong>${RRF.esc(CLAIM_KIND[c.kind] || words(c.kind))}</strong> · ${RRF.esc(words(c.status))} · ` +
      `${c.filer === "vendor" ? "we file" : "you file"}${c.carrier_name ? " with " + RRF.esc(c.carrier_name) : ""} by <strong>${RRF.esc(c.file_by)}</strong></p>` +
      `<ul>${(c.evidence || []).map((e) => `<li>${RRF.esc(e)}</li>`).join("")}</ul></div>`).join("");
  }

  const CLAIM_KIND = {damage: "Visible damage", concealed_damage: "Concealed damage", loss: "Lost shipment"};

  function inboundLabel(l, status) {
    const card = $("inbound-label-card");
    card.hidden = !(status === "issued" || l.state !== "none");
    $("inbound-label-form").hidden = !(status === "issued" && ["none", "quote_lapsed", "failed", "voided"].includes(l.state));
    $("inbound-label-rates").innerHTML = (l.rates || []).map((r) =>
      `<li>${RRF.esc(r.carrier_service || (r.carrier + " " + r.service))}: ${RRF.esc(money(r.amount))}` +
      `${r.estimated_days ? ", about " + RRF.esc(r.estimated_days) + " days" : ""}</li>`).join("");
    const terms = l.freight_terms ? l.freight_terms.reason + " " : "";
    const states = {
      none: "Buy a prepaid return label to send your unit to the repair depot.",
      quoted: `${terms}Accept the freight quote below to buy the label.`,
      quote_lapsed: "The label's quote expired; get a new one.",
      purchasing: `${terms}Your return label is being bought.`,
      labeled: `Return label bought: ${l.carrier || ""} ${l.tracking_number || ""} ` +
        `(reference ${l.reference || rr}). It is printed with your carton label; we track it for you.`,
      failed: `The carrier refused the label: ${l.error || ""}`,
    };
    $("inbound-label-state").textContent = states[l.state] || l.state;
    $("inbound-label-rates").hidden = l.state === "labeled";
  }

  async function loadInboundLabel(status) {
    const res = await RRF.api("GET", base + "/inbound-label", null, token);
    if (res.ok) inboundLabel(res.data, status);
  }

  $("inbound-label-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("inbound-label-error").hidden = true;
    const num = (id) => Number($(id).value);
    const parcel = {weight: num("il-weight"), length: num("il-length"), width: num("il-width"),
      height: num("il-height"), distance_unit: "in", mass_unit: "lb"};
    const res = await RRF.api("POST", base + "/inbound-label", {parcel}, token);
    if (!res.ok) { RRF.showError("inbound-label-error", res.data); return; }
    load();
  });
  $("carton-label").addEventListener("click", () => RRF.download(base + "/carton-label", token, rr + "-carton.pdf"));
  $("accept-quote").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("quote-error").hidden = true;
    const quoteId = $("quote").dataset.id;
    const res = await RRF.api("POST", "/api/v1/quotes/" + encodeURIComponent(quoteId) + "/accept", {}, token);
    if (!res.ok) { RRF.showError("quote-error", res.data); return; }
    if (res.data.status === "accepted") { paid(res.data); return; }
    RRFPay.open(res.data.payment_intent, {quoteId, token, amount: money(res.data.amount), done: paid});
  });
  $("register-inbound").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const res = await RRF.api("POST", "/api/v1/repair-requests/" + encodeURIComponent(rr) + "/inbound-shipments",
      {carrier: $("carrier").value, tracking_number: $("tracking_number").value.trim()}, token);
    if (res.ok) load(); else RRF.showError("inbound-error", res.data);
  });
  $("damage-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = new FormData();
    form.append("description", $("description").value);
    form.append("concealed", $("concealed").checked ? "true" : "false");
    for (const f of $("photos").files) form.append("photos", f);
    const res = await RRF.api("POST", base + "/damage-reports", form, token);
    if (res.ok) load(); else RRF.showError("damage-error", res.data);
  });
  load();
})();
