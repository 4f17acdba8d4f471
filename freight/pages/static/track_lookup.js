// /track: trade an RR number and its email or postal code for a customer token, then open the RR.
document.getElementById("lookup").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const rr = document.getElementById("rr_number").value.trim().toUpperCase();
  const body = {rr_number: rr};
  const email = document.getElementById("email").value.trim();
  const postal = document.getElementById("postal_code").value.trim();
  if (email) body.email = email; else if (postal) body.postal_code = postal;
  const res = await RRF.api("POST", "/api/v1/track/lookup", body, null);
  if (res.ok) {
    sessionStorage.setItem("rrf.customer." + rr, res.data.token);
    location.href = "/track/" + encodeURIComponent(rr);
  } else {
    RRF.showError("lookup-error", res.data);
  }
});
