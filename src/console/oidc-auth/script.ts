// The OIDC Auth page's only script, inline under the page's CSP nonce; the form works without it.
/** Progressive enhancement: presets fill the fields in place, and key/value grids grow on demand. */
export const SCRIPT = `
document.querySelectorAll("[data-preset]").forEach(function (a) {
  a.addEventListener("click", function (e) {
    e.preventDefault();
    var f = document.getElementById("oidc-form");
    f.elements.oidcDiscoveryUrl.value = a.dataset.issuer;
    f.elements.boundIssuer.value = a.dataset.issuer;
    f.elements.boundSubject.placeholder = a.dataset.subject;
    f.elements.oidcDiscoveryUrl.focus();
  });
});
document.querySelectorAll("[data-add-row]").forEach(function (b) {
  b.hidden = false;
  b.addEventListener("click", function () {
    var grid = document.getElementById(b.dataset.addRow);
    var inputs = grid.querySelectorAll("input");
    [inputs[inputs.length - 2], inputs[inputs.length - 1]].forEach(function (i) {
      var n = i.cloneNode();
      n.value = ""; n.placeholder = ""; n.classList.remove("invalid");
      grid.appendChild(n);
    });
    grid.querySelectorAll("input")[grid.querySelectorAll("input").length - 2].focus();
  });
});
`;
