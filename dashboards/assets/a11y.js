/* Accessible names for Dash's own widgets, which do not take them as props.
 *
 * Dash 4's dropdown is a button labelled only by its current value and carries an aria-hidden
 * input that can still take focus; its slider's thumbs have no name. Every control on our pages
 * has a <label for=ID> (or a data-label attribute): this script points each widget's ARIA name
 * at that label, takes the hidden input out of the tab order, and names the upload's file input,
 * whenever Dash draws or redraws them. No inline script: this file is served from /assets. */
(function () {
  function labelFor(id) {
    if (!id) { return null; }
    var label = document.querySelector('label[for="' + CSS.escape(id) + '"]');
    if (label && !label.id) { label.id = id + "--label"; }
    return label;
  }
  function setAttr(el, name, value) {
    if (el.getAttribute(name) !== value) { el.setAttribute(name, value); }
  }
  function patch(root) {
    root.querySelectorAll("button.dash-dropdown[id]").forEach(function (button) {
      var label = labelFor(button.id);
      var named = button.closest("[data-label]");
      if (label) {
        setAttr(button, "aria-labelledby", label.id + " " + button.id + "-value");
      } else if (named) {
        setAttr(button, "aria-label", named.getAttribute("data-label"));
      }
    });
    root.querySelectorAll(".dash-dropdown-focus-target").forEach(function (input) {
      setAttr(input, "tabindex", "-1");
    });
    root.querySelectorAll(".dash-slider-container[id]").forEach(function (slider) {
      var label = labelFor(slider.id);
      if (!label) { return; }
      slider.querySelectorAll('[role="slider"], input').forEach(function (el) {
        setAttr(el, "aria-labelledby", label.id);
      });
    });
    root.querySelectorAll('[data-label] input[type=file], [data-label] [role="progressbar"]').forEach(function (input) {
      setAttr(input, "aria-label", input.closest("[data-label]").getAttribute("data-label"));
    });
  }
  var pending = false;
  function schedule() {
    if (pending) { return; }
    pending = true;
    requestAnimationFrame(function () { pending = false; patch(document); });
  }
  new MutationObserver(schedule).observe(document.documentElement, {
    childList: true, subtree: true
  });
  document.addEventListener("DOMContentLoaded", schedule);
})();
