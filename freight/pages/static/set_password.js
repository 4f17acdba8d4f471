"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  // The token is in the fragment (#token=…), which browsers never send to a server.
  const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
  if (!token) RRF.showError("set-error", "This page needs the full link you were given (it ends with #token=…).");
  $("set-password").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("set-error").hidden = true;
    if ($("password").value !== $("password2").value) { RRF.showError("set-error", "The two passwords differ."); return; }
    const res = await RRF.api("POST", "/api/v1/set-password", {token, password: $("password").value}, {login: false});
    if (res.ok) { history.replaceState(null, "", "/set-password"); location.href = res.data.user.role === "finance" ? "/finance" : "/staff"; return; }
    RRF.showError("set-error", res.data);
  });
})();
