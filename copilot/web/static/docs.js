// Starts Swagger UI on /docs over the service's own OpenAPI schema (local assets only). The
// bundled Swagger UI (4.x) reads OpenAPI 3.0; FastAPI writes 3.1, whose schemas it shows as
// well apart from some null types, so the version field is presented as 3.0.3.
window.addEventListener("load", function () {
  fetch("/openapi.json").then(function (r) { return r.json(); }).then(function (spec) {
    spec.openapi = "3.0.3";
    window.ui = SwaggerUIBundle({spec: spec, dom_id: "#swagger-ui", deepLinking: true});
  });
});
