// Swagger UI 5 reads OpenAPI 3.1; the document comes from this app, never from a CDN, and
// validatorUrl null keeps the viewer from sending the document to an online validator.
window.ui = SwaggerUIBundle({
  url: document.getElementById("swagger-ui").dataset.spec,
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
});
