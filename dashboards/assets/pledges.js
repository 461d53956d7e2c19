/* Clientside callbacks of the Pledges page (a file, not inline script: strict CSP).
 * pledgeTotals: the pinned totals row of the pledge grid, from the rows its filters keep. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  appeal: Object.assign({}, (window.dash_clientside || {}).appeal, {
    pledgeTotals: function (rows, options) {
      var gross = 0, programmable = 0, n = 0;
      (rows || []).forEach(function (r) {
        n += 1;
        gross += Number(r.gross_usd) || 0;
        programmable += Number(r.programmable_usd) || 0;
      });
      var total = {
        pledge_id: "Total (" + n + " pledge" + (n === 1 ? "" : "s") + ")",
        gross_usd: Math.round(gross),
        programmable_usd: Math.round(programmable)
      };
      return Object.assign({}, options || {}, { pinnedBottomRowData: [total] });
    }
  })
});
