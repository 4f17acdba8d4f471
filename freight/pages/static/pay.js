"use strict";
// The card form for a quote's PaymentIntent (SPEC §6). The service never sees card details: with
// a Stripe publishable key the page loads Stripe.js from js.stripe.com and mounts the Payment
// Element, which confirms the intent with its client secret and runs any 3-D Secure challenge;
// on the sandbox this form takes Stripe's test card numbers, maps them to the sandbox's test
// payment methods in the browser, confirms through the sandbox's own endpoint and shows the
// sandbox's challenge, which the customer passes or fails. Either way the page then asks the
// service to check the intent (POST /api/v1/quotes/{id}/confirm): only a held card accepts.
window.RRFPay = (() => {
  // Stripe's test cards → Stripe's test payment methods (https://docs.stripe.com/testing).
  const TEST_CARDS = {
    "4242424242424242": "pm_card_visa",
    "5555555555554444": "pm_card_mastercard",
    "378282246310005": "pm_card_amex",
    "6011111111111117": "pm_card_discover",
    "4000000000000002": "pm_card_chargeDeclined",
    "4000000000009995": "pm_card_insufficientFunds",
    "4000002760003184": "pm_card_authenticationRequired",
    "4000000000003220": "pm_card_threeDSecure2Required",
  };
  const ABANDONED = "You did not complete the check with your bank, so your card was not charged " +
    "and the quote is still open. You can try again.";
  const $ = (id) => document.getElementById(id);
  let state = null;  // {quoteId, intent, token, amount, done}

  function paymentMethod(text) {
    const raw = text.trim();
    if (raw.startsWith("pm_")) return raw;
    return TEST_CARDS[raw.replace(/[\s-]/g, "")] || null;
  }

  function error(text) {
    const el = $("card-error");
    el.textContent = text;
    el.hidden = !text;
  }

  function close() {
    $("card-form-card").hidden = true;
    $("challenge").hidden = true;
  }

  async function check() {
    const res = await RRF.api("POST", `/api/v1/quotes/${state.quoteId}/confirm`, null, state.token);
    if (!res.ok) { error((res.data && res.data.detail) || "The payment could not be checked."); return; }
    const pi = res.data.payment_intent;
    if (res.data.payment && res.data.payment.status === "authorized") {
      close();
      state.done(res.data);
    } else if (pi && pi.status === "requires_action") {
      error(ABANDONED);
    } else if (pi && pi.reason) {
      error(pi.reason);
    }
  }

  async function sandboxPay(ev) {
    ev.preventDefault();
    error("");
    const pm = paymentMethod($("card-number").value);
    if (!pm) { error("Use one of Stripe's test cards, e.g. 4242 4242 4242 4242."); return; }
    const res = await RRF.api("POST", state.intent.confirm_url,
      {client_secret: state.intent.client_secret, payment_method: pm});
    if (!res.ok) { error((res.data && res.data.detail) || "The card could not be used."); return; }
    if (res.data.status === "requires_action") {
      $("challenge-text").textContent =
        `Your bank asks you to confirm a payment of ${state.amount} to RR Freight (3-D Secure test).`;
      $("challenge").hidden = false;
      $("card-pay").disabled = true;
      return;
    }
    await check();
  }

  async function challenge(outcome) {
    $("challenge").hidden = true;
    $("card-pay").disabled = false;
    if (outcome === "abandon") { await check(); return; }
    const intentId = state.intent.id;
    const res = await RRF.api("POST", `/sandbox/stripe/v1/payment_intents/${encodeURIComponent(intentId)}/challenge`,
      {client_secret: state.intent.client_secret, outcome});
    if (!res.ok) { error((res.data && res.data.detail) || "The check with your bank failed."); return; }
    await check();
  }

  let stripe = null;
  let elements = null;

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

  async function stripeOpen() {
    await loadStripe();
    stripe = window.Stripe(state.intent.publishable_key);
    elements = stripe.elements({clientSecret: state.intent.client_secret});
    $("stripe-element").replaceChildren();
    elements.create("payment").mount("#stripe-element");
  }

  async function stripePay(ev) {
    ev.preventDefault();
    error("");
    const result = await stripe.confirmPayment({elements, redirect: "if_required",
      confirmParams: {return_url: location.href}});
    if (result.error) { error(result.error.message || "The payment could not be authorized."); return; }
    await check();
  }

  function open(intent, opts) {
    state = {quoteId: opts.quoteId, intent, token: opts.token, amount: opts.amount, done: opts.done};
    const onStripe = intent.provider === "stripe" && intent.publishable_key;
    $("card-form-card").hidden = false;
    $("sandbox-fields").hidden = !!onStripe;
    $("stripe-element").hidden = !onStripe;
    $("card-amount").textContent = opts.amount;
    error(intent.reason || "");
    $("card-form").onsubmit = onStripe ? stripePay : sandboxPay;
    if (onStripe) stripeOpen().catch((e) => error(e.message));
    else $("card-number").focus();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("challenge-pass").addEventListener("click", () => challenge("pass"));
    $("challenge-fail").addEventListener("click", () => challenge("fail"));
    $("challenge-cancel").addEventListener("click", () => challenge("abandon"));
  });
  return {open, paymentMethod};
})();
