// Paying a gift by card with Stripe's Payment Element. This page only hands the card to
// Stripe: the gift counts when Stripe's signed webhook reaches the server, never before.
(() => {
  const form = document.getElementById("pay-form");
  if (!form || typeof Stripe === "undefined") return; // the <noscript> text stays the guide
  const { publishableKey, clientSecret, returnUrl, locale } = form.dataset;
  const stripe = Stripe(publishableKey, { locale });
  const elements = stripe.elements({ clientSecret });
  elements.create("payment").mount("#payment-element");
  form.hidden = false;

  const button = form.querySelector("button[type=submit]");
  const message = document.getElementById("pay-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    message.textContent = "";
    const { error } = await stripe.confirmPayment({ elements, confirmParams: { return_url: returnUrl } });
    // Only reached when the payment could not go ahead (a declined card, a typing mistake);
    // otherwise Stripe takes the browser to the return page.
    message.textContent = error.message;
    button.disabled = false;
  });
})();
