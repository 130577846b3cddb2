/* The BankID page (challenge/challenge.html): asks for the order's status each second, shows
   each new animated QR code and the user's message, and goes on when BankID is done. */
(function () {
  'use strict';
  var poll = document.getElementById('bankid-poll');
  if (!poll) { return; }
  var url = poll.getAttribute('data-status-url');
  var cancelUrl = poll.getAttribute('data-cancel-url');
  var csrfToken = poll.getAttribute('data-csrf-token');
  var finished = false;

  // Leaving the page (closing, going elsewhere) cancels the BankID order, as BankID asks.
  window.addEventListener('pagehide', function () {
    if (finished || !navigator.sendBeacon) { return; }
    var form = new FormData();
    form.append('csrf_token', csrfToken);
    navigator.sendBeacon(cancelUrl, form);
  });
  document.querySelectorAll('form').forEach(function (f) {
    f.addEventListener('submit', function () { finished = true; });
  });
  // Opening the BankID app on this device leaves the page without giving up.
  var autostart = document.getElementById('bankid-autostart');
  if (autostart) { autostart.addEventListener('click', function () { finished = true; }); }

  function tick() {
    fetch(url, {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.next) { finished = true; window.location = data.next; return; }
        if (data.message) { document.getElementById('bankid-message').textContent = data.message; }
        if (data.status !== 'pending') { finished = true; window.location.reload(); return; }
        if (data.qr_svg) { document.getElementById('bankid-qr').innerHTML = data.qr_svg; }
        setTimeout(tick, 1000);
      })
      .catch(function () { setTimeout(tick, 2000); });
  }
  setTimeout(tick, 1000);
})();
