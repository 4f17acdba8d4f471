"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  // Only a path on this site (never //host or a scheme), so a link cannot bounce a user elsewhere.
  function nextPage(role) {
    const next = new URLSearchParams(location.search).get("next") || "";
    if (/^\/(?!\/)[^\s\\]*$/.test(next) && !next.startsWith("/login")) return next;
    return role === "finance" ? "/finance" : "/staff";
  }
  $("login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("login-error").hidden = true;
    const res = await RRF.api("POST", "/api/v1/session", {email: $("email").value.trim(), password: $("password").value}, {login: false});
    if (res.ok) { location.href = nextPage(res.data.user.role); return; }
    $("password").value = "";
    RRF.showError("login-error", res.data);
  });
})();
