"use strict";
// Staff review of online requests (/staff/review): the queue oldest first, one request, its moves.
(() => {
  const $ = (id) => document.getElementById(id);
  let cursor = null;
  let current = null;

  async function queue(append) {
    const params = new URLSearchParams({limit: "25"});
    if ($("queue-status").value) params.set("status", $("queue-status").value);
    if (append && cursor) params.set("cursor", cursor);
    const res = await RRF.api("GET", "/api/v1/rr-submissions?" + params);
    if (!res.ok) { RRF.showError("queue-error", res.data); return; }
    $("queue-error").hidden = true;
    const rows = res.data.items.map((s) =>
      `<tr><td><a href="#" data-sub="${RRF.esc(s.id)}">${RRF.esc(s.id)}</a></td><td>${RRF.when(s.created_at)}</td>` +
      `<td>${RRF.esc(s.customer.name)} &lt;${RRF.esc(s.customer.email)}&gt;</td><td>${RRF.esc(s.kind)}</td><td>${s.units.length}</td>` +
      `<td><span class="pill">${RRF.esc(s.status)}</span></td><td>${s.flags.map((f) => RRF.esc(f.code)).join(", ")}</td></tr>`).join("");
    $("queue-rows").innerHTML = append ? $("queue-rows").innerHTML + rows : (rows || `<tr><td colspan="7">Nothing waiting.</td></tr>`);
    cursor = res.data.next_cursor; $("queue-more").hidden = !cursor;
  }

  function unitRow(u) {
    const w = `${u.warranty.status.replace(/_/g, " ")}${u.warranty.ends_on ? " until " + u.warranty.ends_on : ""}`;
    const other = [u.open_repair_request ? `open RR ${u.open_repair_request.rr_number} (${u.open_repair_request.status})` : "",
      u.other_open_request ? `in request ${u.other_open_request}` : ""].filter(Boolean).join("; ") || "none";
    return `<tr><td>${u.index + 1}</td><td>${RRF.esc(u.serial_number)}</td><td>${RRF.esc(u.part_number)}</td><td>${RRF.esc(u.product_description)}</td>` +
      `<td>${RRF.esc(u.fault_description)}</td><td class="warranty">${RRF.esc(w)}</td><td>${RRF.esc(other)}</td><td class="rr">${RRF.esc(u.rr_number || "")}</td></tr>`;
  }

  async function show(id) {
    const res = await RRF.api("GET", "/api/v1/rr-submissions/" + encodeURIComponent(id));
    if (!res.ok) { RRF.showError("review-error", res.data); return; }
    render(res.data);
  }

  function render(s) {
    current = s; $("review").hidden = false; $("review-error").hidden = true;
    $("r-title").textContent = `${s.id} · ${s.kind.replace("_", " ")} · ${s.status}`;
    const a = s.return_address;
    $("r-customer").textContent = `${s.customer.name} <${s.customer.email}>${s.customer.phone ? ", " + s.customer.phone : ""} — ` +
      `${a.street1}, ${a.city} ${a.postal_code} ${a.country}`;
    const p = s.proof_of_purchase;
    $("r-proof").textContent = `Proof: ${p.document_type} ${p.reference}` + (p.reseller ? `, reseller ${p.reseller}` : ", no reseller named") +
      (p.purchase_date ? `, bought ${p.purchase_date}` : "") + (p.price ? `, price ${p.price.amount} ${p.price.currency}` : "") +
      (p.payment_reference ? `, payment ${p.payment_reference}` : "") + (s.customer_received_at ? `, received ${s.customer_received_at.slice(0, 10)}` : "");
    $("r-shipping").textContent = (s.insurance_requested ? `Insurance requested (declared ${s.declared_value.amount} ${s.declared_value.currency} per unit). ` : "No insurance. ") +
      (s.special_requirements ? "Special requirements: " + s.special_requirements : "No special requirements.");
    $("r-agreement").textContent = `Policy ${s.agreement.policy_version} accepted ${RRF.when(s.agreement.agreed_at)} from ${s.agreement.client_address} (${s.agreement.user_agent}).`;
    $("r-flags").innerHTML = s.flags.map((f) => `<li>${RRF.esc(f.rule)}: ${RRF.esc(f.message)}</li>`).join("");
    $("r-units").innerHTML = s.units.map(unitRow).join("");
    $("r-documents").innerHTML = s.documents.map((d) => `<li><button type="button" data-doc="${RRF.esc(d.url)}" data-name="${RRF.esc(d.filename)}">${RRF.esc(d.filename)}</button> ${RRF.esc(d.media_type)}, ${Math.ceil(d.size / 1000)} kB</li>`).join("") || "<li>None.</li>";
    $("r-messages").innerHTML = s.messages.map((m) => `<li>${RRF.when(m.at)} <strong>${RRF.esc(m.author)}</strong> (${RRF.esc(m.kind)}): ${RRF.esc(m.text)}</li>`).join("");
    $("approve-form").hidden = !s.actions.includes("approve");
    $("info-form").hidden = !s.actions.includes("request_info");
    $("decline-form").hidden = !s.actions.includes("decline");
    $("proof-confirmed").parentElement.hidden = !s.flags.some((f) => f.blocks_approval);
    $("approve-confirm").hidden = true; $("decline-confirm").hidden = true;
  }

  async function move(action, body, done) {
    const res = await RRF.api("POST", `/api/v1/rr-submissions/${current.id}/${action}`, body);
    if (!res.ok) { RRF.showError("review-error", res.data); return; }
    render(res.data);
    $("review-done").textContent = done(res.data); $("review-done").hidden = false;
    queue(false);
  }

  document.addEventListener("click", (ev) => {
    const t = ev.target;
    if (t.dataset && t.dataset.sub) { ev.preventDefault(); $("review-done").hidden = true; show(t.dataset.sub); }
    if (t.dataset && t.dataset.doc) RRF.download(t.dataset.doc, null, t.dataset.name);
  });
  $("approve").addEventListener("click", () => { $("approve-count").textContent = String(current.units.length); $("approve-confirm").hidden = false; });
  $("approve-no").addEventListener("click", () => { $("approve-confirm").hidden = true; });
  $("approve-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    move("approve", {note: $("approve-note").value, proof_confirmed: $("proof-confirmed").checked},
      (s) => "Approved. Repair Requests: " + s.units.map((u) => `${u.rr_number} (serial ${u.serial_number})`).join(", "));
  });
  $("info-form").addEventListener("submit", (ev) => { ev.preventDefault(); move("request-info", {message: $("info-message").value}, () => "The customer was asked for more information."); });
  $("decline").addEventListener("click", () => { $("decline-confirm").hidden = false; });
  $("decline-no").addEventListener("click", () => { $("decline-confirm").hidden = true; });
  $("decline-form").addEventListener("submit", (ev) => { ev.preventDefault(); move("decline", {reason: $("decline-reason").value}, () => "Declined; the customer was emailed the reason."); });
  $("queue-filter").addEventListener("submit", (ev) => { ev.preventDefault(); queue(false); });
  $("queue-more").addEventListener("click", () => queue(true));
  queue(false);
})();
