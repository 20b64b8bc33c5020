// Starts Swagger UI on /docs with this API's document. A file of its own (not an inline
// script) so the page's Content-Security-Policy can allow scripts from this origin only.
/* global window, SwaggerUIBundle */
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  // The default sends the document to validator.swagger.io for a badge: nothing leaves this API.
  validatorUrl: null,
});
