// Paying a gift inside WeChat (JSAPI): the signed parameters go to WeixinJSBridge, which shows
// WeChat's own payment sheet. The gift counts when WeChat Pay's notification reaches the
// server (or the return page's order query finds it paid), never because this page says so.
(() => {
  const form = document.getElementById("wechat-pay");
  if (!form) return;
  const params = JSON.parse(form.dataset.params);
  const message = document.getElementById("pay-error");
  const pay = () => {
    WeixinJSBridge.invoke("getBrandWCPayRequest", params, (result) => {
      if (result.err_msg === "get_brand_wcpay_request:ok") {
        window.location.href = form.dataset.returnUrl;
      } else if (result.err_msg !== "get_brand_wcpay_request:cancel") {
        message.textContent = result.err_msg;
      }
    });
  };
  form.addEventListener("submit", (event) => {
    if (typeof WeixinJSBridge === "undefined") return; // outside WeChat: the return page
    event.preventDefault();
    pay();
  });
})();
