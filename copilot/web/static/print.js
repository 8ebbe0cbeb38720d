// The print button of the printable ADR form (no inline handlers: the CSP allows none).
document.getElementById("print").addEventListener("click", function () {
  window.print();
});
