"use strict";
// Advance replacement on the customer page (issue 17 §2): when staff offered one, the customer
// saves a card (a SetupIntent for a later off-session charge), then sees the state and due date
// in words. Like pay.js: with a Stripe publishable key the Payment Element (setup mode) confirms
// the SetupIntent with its client secret; on the sandbox the form maps Stripe's test card numbers
// to the sandbox's test payment methods (RRFPay.paymentMethod) and the service confirms them.
(() => {
  const rr = document.getElementById("rr").dataset.rr;
  const token = sessionStorage.getItem("rrf.customer." + rr);
  const base = "/api/v1/track/" + encodeURIComponent(rr) + "/advance-replacement";
  const $ = (id) => document.getElementById(id);
  let current = null;
  let stripe = null;
  let elements = null;

  function error(text) {
    $("advance-error").textContent = text || "";
    $("advance-error").hidden = !text;
  }

  function problemText(p) {
    return (p && (p.detail || p.title)) || "The card could not be saved.";
  }

  function show(a) {
    current = a;
    $("advance-card").hidden = false;
    $("advance-summary").textContent = a.summary;
    const price = `${a.price.amount} ${a.price.currency}`;
    $("advance-terms").textContent = a.state === "card_requested"
      ? `Nothing is charged now. ${price} (the list price of ${a.part_number}) is charged only if ` +
        "your defective unit is not handed to a carrier in time."
      : (a.warranty_ends_on ? `The replacement keeps your unit's warranty, until ${a.warranty_ends_on}.` : "");
    $("advance-form").hidden = a.state !== "card_requested";
  }

  function loadStripe() {
    return new Promise((resolve, reject) => {
      if (window.Stripe) { resolve(); return; }
      const s = document.createElement("script");
      s.src = "https://js.stripe.com/v3/";
      s.onload = resolve;
      s.onerror = () => reject(new Error("Stripe.js could not be loaded."));
      document.head.appendChild(s);
    });
  }

  async function openForm() {
    // The SetupIntent (created once per RR): its client secret, and Stripe's key when live.
    const res = await RRF.api("POST", base + "/card", {}, token);
    if (!res.ok) { error(problemText(res.data)); return; }
    show(res.data);
    const onStripe = !!res.data.publishable_key;
    $("advance-sandbox-fields").hidden = onStripe;
    $("advance-stripe-element").hidden = !onStripe;
    if (!onStripe) return;
    await loadStripe();
    stripe = window.Stripe(res.data.publishable_key);
    elements = stripe.elements({clientSecret: res.data.client_secret});
    $("advance-stripe-element").replaceChildren();
    elements.create("payment").mount("#advance-stripe-element");
  }

  async function record() {
    const res = await RRF.api("POST", base + "/card", {}, token);
    if (!res.ok) { error(problemText(res.data)); return; }
    show(res.data);
  }

  async function save(ev) {
    ev.preventDefault();
    error("");
    if (stripe) {
      const result = await stripe.confirmSetup({elements, redirect: "if_required",
        confirmParams: {return_url: location.href}});
      if (result.error) { error(result.error.message || "The card could not be saved."); return; }
      await record();
      return;
    }
    const pm = RRFPay.paymentMethod($("advance-card-number").value);
    if (!pm) { error("Use one of Stripe's test cards, e.g. 4242 4242 4242 4242."); return; }
    const res = await RRF.api("POST", base + "/card", {payment_method: pm}, token);
    if (!res.ok) { error(problemText(res.data)); return; }
    show(res.data);
    if (res.data.card === "requires_action") {
      $("advance-challenge").hidden = false;
      $("advance-save").disabled = true;
    }
  }

  async function challenge(outcome) {
    $("advance-challenge").hidden = true;
    $("advance-save").disabled = false;
    const res = await RRF.api("POST",
      `/sandbox/stripe/v1/setup_intents/${encodeURIComponent(current.setup_intent)}/challenge`,
      {client_secret: current.client_secret, outcome});
    if (!res.ok) { error(problemText(res.data)); return; }
    if (res.data.status !== "succeeded") {
      error((res.data.last_setup_error && res.data.last_setup_error.message) || "The check with your bank failed.");
      return;
    }
    await record();
  }

  async function load() {
    if (!token) return;
    const res = await RRF.api("GET", base, null, token);
    if (!res.ok) return;  // 404: no advance replacement offered for this RR
    show(res.data);
    if (res.data.state === "card_requested") await openForm();
  }

  $("advance-form").addEventListener("submit", save);
  $("advance-challenge-pass").addEventListener("click", () => challenge("pass"));
  $("advance-challenge-fail").addEventListener("click", () => challenge("fail"));
  load();
})();
