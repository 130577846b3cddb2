/* Kundportal's page behaviour, bound here rather than in onclick attributes: the
   Content-Security-Policy runs no inline handlers and no javascript: links. */
(function () {
  'use strict';

  document.addEventListener('click', function (event) {
    var target = event.target.closest
      ? event.target.closest('[data-confirm], [data-model-action], [data-print], a[href="#"], a[href^="javascript:"]')
      : null;
    if (!target) { return; }

    if (target.hasAttribute('data-confirm')) {
      // A destructive button asks first; "Cancel" leaves the form unsent.
      // A row's button may leave the question to the page's form it sends.
      var question = target.getAttribute('data-confirm') ||
        (target.form && target.form.getAttribute('data-confirm'));
      if (!window.confirm(question)) { event.preventDefault(); }
      return;
    }
    if (target.hasAttribute('data-model-action')) {
      // "With selected": Flask-Admin's actions.js sends the chosen rows with this action.
      event.preventDefault();
      if (window.modelActions) { window.modelActions.execute(target.getAttribute('data-model-action')); }
      return;
    }
    if (target.hasAttribute('data-print')) {
      window.print();
      return;
    }
    // Links that only open a menu, add a filter or mark the current tab or page (their
    // handlers are Bootstrap's and Flask-Admin's) go nowhere; Flask-Admin's own templates
    // write some as javascript:void(0), which the CSP would refuse to follow.
    event.preventDefault();
  });
})();
