"use strict";
// Tiny helpers shared by the pages: JSON API calls with a bearer token, problem+json errors.
window.RRF = {
  async api(method, path, body, token) {
    const headers = {};
    if (token) headers.Authorization = "Bearer " + token;
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body !== null && body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
    const res = await fetch(path, {method, headers, body: payload});
    const type = res.headers.get("content-type") || "";
    const data = type.includes("json") ? await res.json() : await res.text();
    return {ok: res.ok, status: res.status, data};
  },
  showError(id, problem) {
    const el = document.getElementById(id);
    const fields = (problem && problem.errors) ? problem.errors.map((e) => `${e.field}: ${e.message}`).join("; ") : "";
    el.textContent = (problem && (problem.detail || problem.title)) ? (fields || problem.detail || problem.title) : String(problem);
    el.hidden = false;
  },
  esc(s) { return String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c])); },
  when(iso) { if (!iso) return ""; const d = new Date(iso); return isNaN(d) ? iso : d.toLocaleString(); },
  async download(path, token, name) {
    const res = await fetch(path, {headers: token ? {Authorization: "Bearer " + token} : {}});
    if (!res.ok) { alert("Download failed: " + res.status); return; }
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement("a"); a.href = url; a.download = name; document.body.appendChild(a); a.click(); a.remove();
  },
  staffToken() { return localStorage.getItem("rrf.staffToken") || ""; },
};
