"use strict";
// Helpers shared by the pages: one fetch helper for the JSON API, problem+json errors, downloads.
window.RRF = {
  // Staff and finance pages call the API with the session cookie (sent by the browser) and, on
  // requests that change something, the CSRF token from the readable csrf_token cookie; a 401
  // means the session ended, so the page goes to /login and comes back after sign-in.
  // Customer pages pass their RR-scoped token instead (a string, or {token}) and handle 401 themselves.
  async api(method, path, body, opts) {
    const o = typeof opts === "string" ? {token: opts} : (opts || {});
    const headers = {};
    if (o.token) headers.Authorization = "Bearer " + o.token;
    else if (!["GET", "HEAD"].includes(method)) headers["X-CSRF-Token"] = RRF.csrfToken();
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body !== null && body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
    const res = await fetch(path, {method, headers, body: payload, credentials: "same-origin"});
    if (res.status === 401 && !o.token && o.login !== false) { RRF.toLogin(); return new Promise(() => {}); }
    const type = res.headers.get("content-type") || "";
    const data = res.status === 204 ? null : type.includes("json") ? await res.json() : await res.text();
    return {ok: res.ok, status: res.status, data};
  },
  csrfToken() {
    const m = document.cookie.match(/(?:^|;\s*)csrf_token=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : "";
  },
  toLogin() { location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); },
  async signOut() {
    await RRF.api("DELETE", "/api/v1/session", null, {login: false});
    location.href = "/login";
  },
  showError(id, problem) {
    const el = document.getElementById(id);
    const fields = (problem && problem.errors) ? problem.errors.map((e) => `${e.field}: ${e.message}`).join("; ") : "";
    el.textContent = (problem && (problem.detail || problem.title)) ? (fields || problem.detail || problem.title) : String(problem);
    el.hidden = false;
    if (el.scrollIntoView) el.scrollIntoView({block: "nearest"});  // never off screen
  },
  esc(s) { return String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c])); },
  when(iso) { if (!iso) return ""; const d = new Date(iso); return isNaN(d) ? iso : d.toLocaleString(); },
  async download(path, token, name) {
    const res = await fetch(path, {headers: token ? {Authorization: "Bearer " + token} : {}, credentials: "same-origin"});
    if (res.status === 401 && !token) { RRF.toLogin(); return; }
    if (!res.ok) { alert("Download failed: " + res.status); return; }
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement("a"); a.href = url; a.download = name; document.body.appendChild(a); a.click(); a.remove();
  },
};
document.addEventListener("DOMContentLoaded", () => {
  const out = document.getElementById("sign-out");
  if (out) out.addEventListener("click", () => RRF.signOut());
});
