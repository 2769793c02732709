// Starts Swagger UI on the API's OpenAPI description (a file, so the page needs no inline script).
window.ui = SwaggerUIBundle({url: "/api/v1/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
                             presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout"});
