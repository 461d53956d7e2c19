/* Clientside callbacks of the Scenarios page (a file, not inline script: strict CSP).
 * staleResult: the result panel greys out, with a "not re-run" note, as soon as the editor's
 * controls no longer hold the values the shown result was solved from. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  appeal: Object.assign({}, (window.dash_clientside || {}).appeal, {
    staleResult: function (solvedFrom) {
      if (!solvedFrom) { return ""; }
      var ids = Object.keys(solvedFrom);
      var values = Array.prototype.slice.call(arguments, 1);
      var inputs = dash_clientside.callback_context.inputs_list.slice(1);
      function norm(v) {
        if (v === undefined || v === null || v === "") { return null; }
        if (typeof v === "string") {
          var t = v.trim();
          return t !== "" && !isNaN(Number(t)) ? Number(t) : t;
        }
        if (Array.isArray(v)) { return JSON.stringify(v.slice().sort()); }
        return v;
      }
      for (var i = 0; i < inputs.length; i++) {
        var id = inputs[i].id;
        if (ids.indexOf(id) < 0) { continue; }
        var a = norm(values[i]), b = norm(solvedFrom[id]);
        if (typeof a === "number" && typeof b === "number") {
          if (Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(b))) { return "result-stale-wrap"; }
        } else if (a !== b) {
          return "result-stale-wrap";
        }
      }
      return "";
    }
  })
});
