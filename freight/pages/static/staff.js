"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  // FREIGHT_LABEL_FORMAT: ZPLII labels are ZPL text for a thermal printer, PNG an image, else PDF.
  const labelExt = (label) => ({ZPLII: "zpl", PNG: "png", "PNG_2.3x7.5": "png"}[label.format] || "pdf");
  let cursor = null;

  async function listRRs(append) {
    const params = new URLSearchParams({limit: "25"});
    if ($("q").value.trim()) params.set("q", $("q").value.trim());
    if ($("status-filter").value) params.set("status", $("status-filter").value);
    if (append && cursor) params.set("cursor", cursor);
    const res = await RRF.api("GET", "/api/v1/repair-requests?" + params);
    if (!res.ok) { RRF.showError("list-error", res.data); return; }
    $("list-error").hidden = true;
    const rows = res.data.items.map((r) =>
      `<tr><td><a href="#" data-rr="${RRF.esc(r.rr_number)}">${RRF.esc(r.rr_number)}</a></td><td>${RRF.esc(r.serial_number)}</td>` +
      `<td>${RRF.esc(r.customer.name)}</td><td><span class="pill">${RRF.esc(r.status)}</span></td>` +
      `<td>${RRF.esc(r.freight_terms.payer)} (${RRF.esc(r.freight_terms.rule)})</td></tr>`).join("");
    $("rr-rows").innerHTML = append ? $("rr-rows").innerHTML + rows : rows;
    cursor = res.data.next_cursor; $("more").hidden = !cursor;
  }

  async function showRR(rr) {
    const res = await RRF.api("GET", "/api/v1/repair-requests/" + encodeURIComponent(rr));
    if (!res.ok) { RRF.showError("detail-error", res.data); return; }
    const r = res.data; $("detail").hidden = false; $("detail").dataset.rr = rr; $("detail-error").hidden = true;
    if ($("detail").dataset.shown !== rr) $("detail").scrollIntoView({block: "start"});  // what was clicked, not 1,400 px below
    $("detail").dataset.shown = rr; $("detail").dataset.serial = r.serial_number;
    $("d-title").textContent = `${r.rr_number} · ${r.status}`;
    $("d-summary").textContent = `${r.product_description} (${r.part_number}, serial ${r.serial_number}) for ${r.customer.name}, ` +
      `${r.return_address.city} ${r.return_address.country}. ${r.freight_terms.reason}` +
      (r.repair_due ? ` Repair due ${r.repair_due}.` : ` Inbound deadline ${RRF.when(r.inbound_deadline)}.`);
    $("d-special").textContent = (r.insurance_requested ? `Insurance requested (declared ${r.declared_value.amount} ${r.declared_value.currency}). ` : "No insurance. ") +
      (r.special_requirements ? "Special requirements: " + r.special_requirements : "");
    // The API says which moves staff may make now; pages never re-derive the lifecycle.
    const onSite = ["received", "in_repair"].includes(r.status);
    $("d-actions").innerHTML = (r.allowed_moves || []).map((m) => m === "cancelled"
      ? `<button type="button" data-move="${m}" data-confirm="${onSite ? "onsite" : "cancel"}">Cancel this RR…</button> `
      : `<button type="button" data-move="${m}">Move to ${m.replace(/_/g, " ")}</button> `).join("") +
      (r.receipt_correction ? `<button type="button" data-correct="${r.receipt_correction}">Correct the receipt: ${r.receipt_correction}…</button>` : "");
    $("d-origin").textContent = (r.source === "online"
      ? `Online request ${r.submission_id}; Return Policy ${r.policy_version} accepted ${RRF.when(r.agreed_at)}. ` : "Opened by staff. ") +
      (r.replacement ? `Replacement: ${r.replacement.condition} unit ${r.replacement.serial_number} replaces ${r.replacement.replaces}` +
        (r.replacement.ends_on ? ` (warranty until ${r.replacement.ends_on}). ` : ". ") : "") +
      (r.credit_refund ? `Credit refund ${r.credit_refund.refund.amount} ${r.credit_refund.refund.currency} (fee ${r.credit_refund.restocking_fee.amount}): ${r.credit_refund.status}.` : "");
    // Freight quote and card payment as fields, not only history lines.
    const q = (r.quotes || [])[(r.quotes || []).length - 1];
    const money = (m) => m ? `${m.amount} ${m.currency}` : "—";
    $("d-money").hidden = !q;
    $("d-money").innerHTML = q ? [
      ["Freight quote", `${money(q.amount)} · ${q.carrier} ${q.service} · ${q.status}` + (q.status === "open" ? ` (expires ${RRF.when(q.expires_at)})` : "")],
      ["Card", q.payment ? q.payment.status : "not given yet"],
      ["Authorized", money(q.payment && q.payment.authorized)],
      ["Captured", money(q.payment && q.payment.captured)],
      ["Refunded", money(q.payment && q.payment.refunded)],
    ].map(([k, v]) => `<dt>${RRF.esc(k)}</dt><dd>${RRF.esc(v)}</dd>`).join("") : "";
    $("replace").hidden = r.kind !== "repair" || !["received", "in_repair"].includes(r.status);
    $("receipt").hidden = !["issued", "inbound_in_transit"].includes(r.status);
    const adv = r.advance_replacement;  // issue 17 §2: offer while the unit is still to come
    $("advance").hidden = !adv && (r.kind !== "repair" || !["issued", "inbound_in_transit"].includes(r.status));
    $("a-state").textContent = adv ? `${adv.state}: ${adv.summary}` : "";
    $("a-part").value = adv ? adv.part_number : r.part_number;
    $("a-offer").hidden = !!adv;
    if (!$("receipt").hidden) {
      const w = await RRF.api("GET", "/api/v1/warranty/" + encodeURIComponent(r.serial_number));
      $("r-warranty").textContent = w.ok ? "Warranty registry: " + w.data.reason : "";
    }
    $("outbound").hidden = !["ready_to_ship", "rejected"].includes(r.status) &&
      !(adv && adv.state === "card_saved");  // an advance replacement ships ahead of the unit
    $("d-shipments").innerHTML = (r.shipments || []).map((s) =>
      `<p>${RRF.esc(s.direction)} ${RRF.esc(s.purpose)} · ${RRF.esc(s.state)} · ${RRF.esc(s.carrier || "")} ${RRF.esc(s.service || "")} ` +
      `${RRF.esc(s.tracking_number || "")} <span class="pill">${RRF.esc(s.status)}</span>` +
      (s.label ? ` <button type="button" data-label="${RRF.esc(s.id)}" data-ext="${labelExt(s.label)}">Label ${labelExt(s.label).toUpperCase()}</button>` : "") +
      (s.direction === "outbound" && s.state === "labeled" ? ` <button type="button" data-void="${RRF.esc(s.id)}" data-tracking="${RRF.esc(s.tracking_number || "")}">Void label…</button>` : "") + `</p>`).join("") || "<p>None yet.</p>";
    $("d-history").innerHTML = (r.history || []).map((h) =>
      `<li>${RRF.when(h.at)} → <strong>${RRF.esc(h.to_status)}</strong> by ${RRF.esc(h.actor)} ${h.rule ? "(" + RRF.esc(h.rule) + ")" : ""} ${RRF.esc(h.note)}</li>`).join("");
  }

  async function listClaims() {
    const status = $("claim-filter").value;
    const res = await RRF.api("GET", "/api/v1/claims" + (status ? "?status=" + status : ""));
    if (!res.ok) return;
    const items = Array.isArray(res.data) ? res.data : (res.data.items || []);
    $("claim-rows").innerHTML = items.map((c) =>
      `<tr><td>${RRF.esc(c.id)}</td><td><a href="#" data-rr="${RRF.esc(c.rr_number)}">${RRF.esc(c.rr_number)}</a></td><td>${RRF.esc(c.kind.replace(/_/g, " "))}</td><td>${RRF.esc(c.filer)}</td>` +
      `<td>${RRF.esc(c.carrier_name || c.carrier || "")}</td><td>${RRF.esc(c.file_by)}</td><td>${RRF.esc(c.status)}</td>` +
      `<td><button type="button" data-claim-open="${RRF.esc(c.id)}">Details</button></td></tr>`).join("") ||
      `<tr><td colspan="8">No claims${status ? " " + status : ""}.</td></tr>`;
  }

  // Where a claim may go from each status (the claims lifecycle; the API refuses anything else).
  const CLAIM_NEXT = {open: ["notified", "filed", "closed"], notified: ["filed", "closed"], filed: ["closed"]};
  async function showClaim(id) {
    const res = await RRF.api("GET", "/api/v1/claims/" + encodeURIComponent(id));
    if (!res.ok) return;
    const c = res.data;
    $("claim-detail").hidden = false; $("claim-detail").dataset.claim = c.id;
    $("c-title").innerHTML = `Claim ${RRF.esc(c.id)} · ${RRF.esc(c.status)} · <a href="#" data-rr="${RRF.esc(c.rr_number)}">${RRF.esc(c.rr_number)}</a>`;
    $("c-fields").innerHTML = [["Kind", c.kind.replace(/_/g, " ")], ["Who files", c.filer], ["Carrier", c.carrier_name || c.carrier || "—"],
      ["File by", `${c.file_by} (${c.deadline_rule})`], ["Source", c.source.replace(/_/g, " ")], ["Carrier incident", c.incident || "—"]]
      .map(([k, v]) => `<dt>${RRF.esc(k)}</dt><dd>${RRF.esc(v)}</dd>`).join("");
    $("c-evidence").innerHTML = c.evidence.map((e) => `<li>${RRF.esc(e)}</li>`).join("");
    $("c-photos").innerHTML = c.photos.map((p) =>
      `<a href="/api/v1/claims/${RRF.esc(c.id)}/photos/${RRF.esc(p.file)}" target="_blank" rel="noopener">` +
      `<img src="/api/v1/claims/${RRF.esc(c.id)}/photos/${RRF.esc(p.file)}" alt="${RRF.esc(p.original_name)}" width="160"></a>`).join("") || "<p>None sent.</p>";
    $("c-notes").innerHTML = c.notes.map((n) =>
      `<li>${RRF.when(n.at)} ${RRF.esc(n.by || "")}: ${RRF.esc(n.note || "")}</li>`).join("") || "<li>None.</li>";
    $("c-actions").innerHTML = (CLAIM_NEXT[c.status] || []).map((s) =>
      `<button type="button" data-claim-to="${s}">Mark ${s}…</button> `).join("");
    $("claim-detail").scrollIntoView({block: "start"});
  }

  async function listQueues() {
    const res = await RRF.api("GET", "/api/v1/desk/queues?limit=20");
    if (!res.ok) { RRF.showError("queues-error", res.data); return; }
    $("queues-error").hidden = true;
    $("queues-today").textContent = `${res.data.today} (${res.data.timezone})`;
    const due = {inbound_deadline: "inbound by", repair_due: "repair due", file_by: "file by"};
    $("queue-lists").innerHTML = res.data.queues.map((q) =>
      `<details class="queue" data-queue="${RRF.esc(q.name)}"${q.count ? " open" : ""}>` +
      `<summary>${RRF.esc(q.title)} <span class="pill" data-count>${q.count}</span></summary>` +
      (q.items.length ? `<ul>${q.items.map((i) =>
        `<li${i.overdue ? ' class="overdue"' : ""}><a href="#" data-rr="${RRF.esc(i.rr_number)}">${RRF.esc(i.rr_number)}</a> ` +
        `${RRF.esc(i.customer_name)} <span class="pill">${RRF.esc(i.status)}</span>` +
        (i.due ? ` ${RRF.esc(due[i.due_kind] || "due")} ${RRF.esc(i.due)}${i.overdue ? " <strong>overdue</strong>" : ""}` : "") +
        `</li>`).join("")}</ul>` +
        (q.count > q.items.length ? `<p class="hint">${q.count - q.items.length} more</p>` : "")
        : "<p>None.</p>") + `</details>`).join("");
  }

  function refresh() { listQueues(); listRRs(false); listClaims(); }
  document.addEventListener("click", async (ev) => {
    const t = ev.target;
    if (t.dataset.rr) { ev.preventDefault(); showRR(t.dataset.rr); }
    if (t.dataset.move && !t.dataset.confirm) {
      const rr = $("detail").dataset.rr;
      const res = await RRF.api("POST", `/api/v1/repair-requests/${rr}/status`, {status: t.dataset.move, note: ""});
      if (res.ok) { showRR(rr); listRRs(false); } else RRF.showError("detail-error", res.data);
    }
    if (t.dataset.confirm || t.dataset.correct) {
      // Irreversible or customer-visible: ask first, with the reason that goes into the history.
      const rr = $("detail").dataset.rr;
      const texts = {
        onsite: ["Cancel " + rr + "?", "The unit is at the depot: the RR is closed as rejected, a return to the sender is prepared and the customer is emailed."],
        cancel: ["Cancel " + rr + "?", "The customer's RR ends and its serial number is freed; the customer is emailed if a unit arrives later."],
        received: ["Correct the receipt of " + rr + " to received?", "The return-to-sender draft is dropped, the repair clock starts and the customer is emailed."],
        rejected: ["Correct the receipt of " + rr + " to rejected?", "A return to the sender is prepared and the customer is emailed the reason."],
      };
      const [title, text] = texts[t.dataset.confirm || t.dataset.correct];
      $("cm-title").textContent = title; $("cm-text").textContent = text;
      $("cm-note").value = ""; $("cm-error").hidden = true;
      $("cm-note").required = true; $("cm-note").closest("label").style.display = "";
      $("confirm-move").dataset.kind = t.dataset.correct ? "correct" : "move";
      $("confirm-move").dataset.status = t.dataset.move || "";
      $("confirm-move").showModal();
    }
    if (t.dataset.label) RRF.download(`/api/v1/shipments/${t.dataset.label}/label`, null, `${t.dataset.label}.${t.dataset.ext || "pdf"}`);
    if (t.dataset.claimOpen) showClaim(t.dataset.claimOpen);
    if (t.dataset.claimTo) {
      const id = $("claim-detail").dataset.claim;
      $("cm-title").textContent = `Mark claim ${id} ${t.dataset.claimTo}?`;
      $("cm-text").textContent = {notified: "The filer has been told what to file, by when and with what evidence.",
        filed: "The filer confirmed the claim is filed with the carrier.", closed: "The claim is over: paid, declined or not pursued."}[t.dataset.claimTo];
      $("cm-note").value = ""; $("cm-error").hidden = true;
      $("cm-note").required = true; $("cm-note").closest("label").style.display = "";
      $("confirm-move").dataset.kind = "claim"; $("confirm-move").dataset.status = t.dataset.claimTo;
      $("confirm-move").showModal();
    }
  });
  // One confirmation dialog for every irreversible or customer-visible step.
  function ask(kind, title, text, {status = "", note = true} = {}) {
    const d = $("confirm-move");
    $("cm-title").textContent = title; $("cm-text").textContent = text;
    $("cm-note").value = ""; $("cm-error").hidden = true;
    $("cm-note").required = note; $("cm-note").closest("label").style.display = note ? "" : "none";
    d.dataset.kind = kind; d.dataset.status = status;
    d.showModal();
  }
  document.addEventListener("click", (ev) => {
    const t = ev.target;
    if (t.dataset && t.dataset.void) {
      $("confirm-move").dataset.shipment = t.dataset.void;
      ask("void", `Void label ${t.dataset.tracking}?`,
        "The carrier is asked to refund the unused label; the RR goes back to ready to ship once it does. Only for a parcel that has not left.",
        {note: false});
    }
  });
  $("cm-cancel").addEventListener("click", () => $("confirm-move").close());
  $("cm-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const rr = $("detail").dataset.rr, d = $("confirm-move"), note = $("cm-note").value;
    if (d.dataset.kind === "void") {
      const res = await RRF.api("POST", `/api/v1/shipments/${d.dataset.shipment}/void`, {});
      if (!res.ok) { RRF.showError("cm-error", res.data); return; }
      d.close(); showRR(rr); return;
    }
    if (d.dataset.kind === "receipt") { d.close(); await sendReceipt(rr, note); return; }
    if (d.dataset.kind === "claim") {
      const id = $("claim-detail").dataset.claim;
      const res = await RRF.api("POST", `/api/v1/claims/${id}`, {status: d.dataset.status, note});
      if (!res.ok) { RRF.showError("cm-error", res.data); return; }
      d.close(); showClaim(id); listClaims(); return;
    }
    const res = d.dataset.kind === "correct"
      ? await RRF.api("POST", `/api/v1/repair-requests/${rr}/receipt-correction`, {note})
      : await RRF.api("POST", `/api/v1/repair-requests/${rr}/status`, {status: d.dataset.status, note});
    if (!res.ok) { RRF.showError("cm-error", res.data); return; }
    d.close(); showRR(rr); listRRs(false);
  });
  $("claim-filter").addEventListener("change", listClaims);
  $("more").addEventListener("click", () => listRRs(true));
  $("filter").addEventListener("submit", (ev) => { ev.preventDefault(); listRRs(false); });
  $("open-rr").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = {
      serial_number: $("f-serial").value, part_number: $("f-part").value, product_description: $("f-product").value,
      customer: {name: $("f-name").value, email: $("f-email").value, phone: $("f-phone").value.trim() || null},
      return_address: {name: $("f-name").value, company: $("f-company").value.trim() || null,
        street1: $("f-street").value, street2: $("f-street2").value.trim() || null, city: $("f-city").value,
        state: $("f-state").value || null, postal_code: $("f-postal").value, country: $("f-country").value,
        phone: $("f-phone").value.trim() || null},
      proof_of_purchase: {document_type: $("f-pop-type").value, reference: $("f-pop").value},
      insurance_requested: $("f-insure").checked, special_requirements: $("f-special").value,
    };
    if ($("f-value").value.trim()) body.declared_value = {amount: $("f-value").value.trim(), currency: "USD"};
    const res = await RRF.api("POST", "/api/v1/repair-requests", body);
    if (res.ok) { $("open-error").hidden = true; $("open-rr").reset(); listRRs(false); showRR(res.data.rr_number); }
    else RRF.showError("open-error", res.data);
  });
  async function sendReceipt(rr, note) {
    const notes = [$("r-notes").value.trim(), note.trim()].filter(Boolean).join(" — ");
    const res = await RRF.api("POST", `/api/v1/repair-requests/${rr}/receipt`, {
      rr_marked_on_carton: $("r-marked").checked, freight_collect: $("r-collect").checked,
      visible_damage: $("r-damage").checked, third_party_equipment: $("r-third").checked,
      out_of_warranty: $("r-oow").checked, serial_number_seen: $("r-serial").value.trim() || null, notes,
      warranty_override: $("r-override").value || null, warranty_override_note: $("r-override-note").value,
    });
    if (res.ok) { showRR(rr); listRRs(false); listClaims(); $("scan-rr").value = ""; $("scan-rr").focus(); }
    else RRF.showError("detail-error", res.data);
  }
  $("receipt").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const rr = $("detail").dataset.rr;
    const norm = (v) => v.trim().toUpperCase().replace(/[\s-]+/g, "");
    const seen = $("r-serial").value, expected = $("detail").dataset.serial || "";
    // What would reject the unit: shown first, and sent only once the desk confirms with a reason.
    const problems = [];
    if (norm(seen) !== norm(expected)) problems.push(`the serial read off the unit (${seen.trim()}) is not the RR's (${expected})`);
    if (!$("r-marked").checked) problems.push("the RR number is not on the carton");
    if ($("r-collect").checked) problems.push("it came freight collect / COD");
    if ($("r-damage").checked) problems.push("it is visibly damaged");
    if ($("r-third").checked) problems.push("it is third-party equipment");
    if ($("r-oow").checked) problems.push("it is out of warranty");
    if (!problems.length) { await sendReceipt(rr, ""); return; }
    ask("receipt", `Reject the unit for ${rr}?`,
      "The unit will be rejected because " + problems.join("; ") + ". The customer is emailed and a return to the sender is prepared (this can be corrected while the unit is here).");
  });
  $("scan").addEventListener("submit", async (ev) => {
    ev.preventDefault();  // a barcode scanner types the RR number and presses Enter
    const rr = $("scan-rr").value.trim().toUpperCase();
    if (!rr) return;
    const res = await RRF.api("GET", "/api/v1/repair-requests/" + encodeURIComponent(rr));
    if (!res.ok) { RRF.showError("scan-error", res.data); return; }
    $("scan-error").hidden = true;
    await showRR(rr);
    if (!$("receipt").hidden) $("r-serial").focus();
  });
  $("replace").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const rr = $("detail").dataset.rr;
    const res = await RRF.api("POST", `/api/v1/repair-requests/${rr}/replacement`,
      {serial_number: $("x-serial").value.trim(), condition: $("x-condition").value, note: $("x-note").value});
    if (res.ok) showRR(rr); else RRF.showError("detail-error", res.data);
  });
  $("advance").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const rr = $("detail").dataset.rr;
    const body = {part_number: $("a-part").value.trim()};
    if ($("a-serial").value.trim()) body.serial_number = $("a-serial").value.trim();
    const res = await RRF.api("POST", `/api/v1/repair-requests/${rr}/advance-replacement`, body);
    if (res.ok) showRR(rr); else RRF.showError("detail-error", res.data);
  });
  $("outbound").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const rr = $("detail").dataset.rr;
    const [length, width, height] = $("o-dims").value.split(/[x×]/).map((s) => s.trim());
    const res = await RRF.api("POST", `/api/v1/repair-requests/${rr}/outbound-shipments`, {
      parcel: {length, width, height, distance_unit: "in", weight: $("o-weight").value.trim(), mass_unit: "lb"}});
    if (res.ok) { showRR(rr); listRRs(false); } else RRF.showError("detail-error", res.data);
  });
  refresh();
})();
