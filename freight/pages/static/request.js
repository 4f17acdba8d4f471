"use strict";
// The online request form (/request): units, proof of purchase with its document, shipping wishes.
(() => {
  const $ = (id) => document.getElementById(id);
  const form = $("request-form");
  const MAX_BYTES = 10 * 1000 * 1000;
  const SIGNATURES = [[0x25, 0x50, 0x44, 0x46, 0x2d], [0xff, 0xd8, 0xff], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]];

  function addUnit() {
    const node = $("unit-template").content.firstElementChild.cloneNode(true);
    $("units").appendChild(node);
    renumber();
  }
  function renumber() {
    const units = [...$("units").querySelectorAll(".unit")];
    units.forEach((u, i) => { u.querySelector(".remove-unit").hidden = units.length === 1; u.dataset.index = i; });
  }
  function kind() { return form.querySelector("input[name=kind]:checked").value; }
  function toggleWebOrder() {
    const web = kind() === "credit_return" || $("p-type").value === "web_order";
    $("web-order").hidden = !web;
    if (kind() === "credit_return") $("p-type").value = "web_order";
  }
  async function fileProblem(file) {
    if (!file) return "Attach your invoice or packing slip.";
    if (file.size > MAX_BYTES) return `${file.name} is larger than 10 MB.`;
    const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
    const ok = SIGNATURES.some((sig) => sig.every((b, i) => head[i] === b));
    return ok ? "" : `${file.name} is not a PDF, JPEG or PNG file.`;
  }
  const val = (id) => $(id).value.trim();
  const opt = (id) => val(id) || null;

  function body() {
    const units = [...$("units").querySelectorAll(".unit")].map((u) => ({
      serial_number: u.querySelector(".u-serial").value.trim(), part_number: u.querySelector(".u-part").value.trim(),
      product_description: u.querySelector(".u-desc").value.trim() || null, fault_description: u.querySelector(".u-fault").value.trim(),
    }));
    const proof = {document_type: $("p-type").value, reference: val("p-ref"), reseller: opt("p-reseller"), purchase_date: opt("p-date")};
    if (!$("web-order").hidden) {
      if (val("p-price")) proof.price = {amount: val("p-price"), currency: val("p-currency") || "USD"};
      proof.payment_reference = opt("p-payment");
    }
    const b = {
      policy_version: form.dataset.version, agreed: true, kind: kind(),
      customer: {name: val("c-name"), email: val("c-email"), phone: opt("c-phone")},
      return_address: {name: val("c-name"), company: opt("a-company"), street1: val("a-street1"), street2: opt("a-street2"),
        city: val("a-city"), state: opt("a-state"), postal_code: val("a-postal"), country: val("a-country")},
      units, proof_of_purchase: proof, insurance_requested: $("s-insure").checked, special_requirements: $("s-special").value,
    };
    if (val("s-value")) b.declared_value = {amount: val("s-value"), currency: "USD"};
    if (kind() === "credit_return" && val("p-received")) b.customer_received_at = val("p-received") + "T12:00:00Z";
    return b;
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("request-error").hidden = true;
    const file = $("p-file").files[0];
    const problem = await fileProblem(file);
    if (problem) { RRF.showError("request-error", {detail: problem, errors: [{field: "file", message: problem}]}); return; }
    $("submit-request").disabled = true;
    const res = await RRF.api("POST", "/api/v1/rr-submissions", body(), null);
    if (!res.ok) { $("submit-request").disabled = false; RRF.showError("request-error", res.data); return; }
    const sub = res.data;
    const data = new FormData(); data.append("file", file);
    const up = await RRF.api("POST", `/api/v1/rr-submissions/${sub.id}/documents`, data, sub.token);
    sessionStorage.setItem("rrf.request." + sub.id, sub.token);
    if (!up.ok) sessionStorage.setItem("rrf.request.uploadError." + sub.id, (up.data && up.data.detail) || "upload failed");
    location.href = `/request/${encodeURIComponent(sub.id)}`;
  });
  $("add-unit").addEventListener("click", addUnit);
  $("units").addEventListener("click", (ev) => { if (ev.target.classList.contains("remove-unit")) { ev.target.closest(".unit").remove(); renumber(); } });
  form.querySelectorAll("input[name=kind]").forEach((r) => r.addEventListener("change", toggleWebOrder));
  $("p-type").addEventListener("change", toggleWebOrder);
  addUnit();
})();
