"use strict";
// A customer's online request (/request/{id}): status, units and RR numbers, messages, documents.
(() => {
  const $ = (id) => document.getElementById(id);
  const id = $("sub").dataset.id;
  const key = "rrf.request." + id;
  const fromLink = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromLink) { sessionStorage.setItem(key, fromLink); history.replaceState(null, "", location.pathname); }
  const token = sessionStorage.getItem(key);
  const base = "/api/v1/rr-submissions/" + encodeURIComponent(id);
  const TEXT = {
    submitted: "We received your request and are reviewing it.",
    info_requested: "We need more information from you: please answer below.",
    approved: "Approved: your Repair Request number(s) are below. Print a carton label for each unit.",
    declined: "Your request was declined.",
  };
  const WARRANTY = {in_warranty: "in warranty", out_of_warranty: "out of warranty", unknown: "to be checked"};

  async function load() {
    if (!id || !token) { $("need-token").hidden = false; return; }
    const res = await RRF.api("GET", base, null, token);
    if (!res.ok) { if (res.status === 401 || res.status === 404) $("need-token").hidden = false; else RRF.showError("status-error", res.data); return; }
    const s = res.data;
    $("summary").hidden = false; $("messages-card").hidden = false;
    $("status").textContent = s.status;
    $("status-text").textContent = TEXT[s.status] || s.status;
    $("agreement").textContent = `You accepted the Return Policy version ${s.agreement.policy_version} on ${RRF.when(s.agreement.agreed_at)}.`;
    $("units").innerHTML = s.units.map((u) => {
      const w = u.warranty.ends_on ? `${WARRANTY[u.warranty.status]} (until ${u.warranty.ends_on})` : WARRANTY[u.warranty.status];
      const rr = u.rr_number ? `<a href="/track/${RRF.esc(u.rr_number)}" data-rr="${RRF.esc(u.rr_number)}" data-token="${RRF.esc(u.tracking_token || "")}" class="rr-link">${RRF.esc(u.rr_number)}</a>` : "—";
      const label = u.rr_number ? `<button type="button" data-label="${RRF.esc(u.rr_number)}" data-token="${RRF.esc(u.tracking_token || "")}">Carton label (PDF)</button>` : "";
      return `<tr><td>${RRF.esc(u.serial_number)}</td><td>${RRF.esc(u.part_number)}</td><td>${RRF.esc(w)}</td><td class="rr">${rr}</td><td>${label}</td></tr>`;
    }).join("");
    $("messages").innerHTML = s.messages.map((m) => `<li><time>${RRF.when(m.at)}</time> <strong>${m.author === "staff" ? "Repair desk" : "You"}</strong>: ${RRF.esc(m.text)}</li>`).join("");
    $("reply-form").hidden = s.status !== "info_requested";
    const open = s.status === "submitted" || s.status === "info_requested";
    $("documents-card").hidden = false; $("upload-form").hidden = !open;
    $("documents").innerHTML = s.documents.map((d) => `<li>${RRF.esc(d.filename)} (${RRF.esc(d.media_type)}, ${Math.ceil(d.size / 1000)} kB)</li>`).join("") || "<li>None yet.</li>";
    const err = sessionStorage.getItem("rrf.request.uploadError." + id);
    if (err) { RRF.showError("upload-error", {detail: "Your document was not accepted: " + err + " Please upload another."}); sessionStorage.removeItem("rrf.request.uploadError." + id); }
  }

  document.addEventListener("click", (ev) => {
    const t = ev.target;
    if (t.dataset && t.dataset.label) RRF.download(`/api/v1/track/${t.dataset.label}/carton-label`, t.dataset.token, t.dataset.label + "-carton-label.pdf");
    if (t.classList && t.classList.contains("rr-link") && t.dataset.token) sessionStorage.setItem("rrf.customer." + t.dataset.rr, t.dataset.token);
  });
  $("reply-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const res = await RRF.api("POST", base + "/reply", {message: $("reply").value}, token);
    if (res.ok) { $("reply").value = ""; $("reply-error").hidden = true; load(); } else RRF.showError("reply-error", res.data);
  });
  $("upload-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = new FormData(); data.append("file", $("file").files[0]);
    const res = await RRF.api("POST", base + "/documents", data, token);
    if (res.ok) { $("upload-error").hidden = true; $("upload-form").reset(); load(); } else RRF.showError("upload-error", res.data);
  });
  load();
})();
