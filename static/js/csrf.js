// Every htmx request carries the page's CSRF token, which Flask-WTF reads from X-CSRFToken.
// Set here rather than by hx-headers:inherited on <body>: that attribute name is not valid HTML.
document.addEventListener("htmx:config:request", (event) => {
  const token = document.querySelector('meta[name="csrf-token"]');
  if (token) event.detail.ctx.request.headers["X-CSRFToken"] = token.content;
});
