// The account page (GET /account; Gateway/Admin/Pages/AdminPages.cs): display name and language (PATCH /auth/me),
// password (POST /auth/password), TOTP enrol/confirm/remove (/auth/totp…), log out everywhere. Every call is a
// same-origin fetch, so the browser sends the Origin header that the gateway's same-origin check wants.
(function () {
  'use strict';
  var strings = JSON.parse(document.getElementById('pacs-strings').textContent);
  function t(key) {
    var text = strings[key] || key;
    for (var i = 1; i < arguments.length; i++) { text = text.split('{' + (i - 1) + '}').join(String(arguments[i])); }
    return text;
  }
  function say(id, text, error) {
    var p = document.getElementById(id);
    p.textContent = text;
    p.classList.toggle('error', !!error);
  }
  // JSON in and out; a failure rejects with the problem's detail (RFC 9457) or the status.
  function api(method, url, body) {
    var options = { method: method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (r) {
      if (r.status === 401) { window.location.assign('/login?returnUrl=' + encodeURIComponent('/account')); throw new Error('401'); }
      return r.text().then(function (text) {
        var json = text ? JSON.parse(text) : null;
        if (!r.ok) { throw new Error((json && (json.detail || json.title)) || String(r.status)); }
        return json;
      });
    });
  }
  function values(form) {
    var result = {};
    new FormData(form).forEach(function (value, key) { result[key] = String(value); });
    return result;
  }

  document.getElementById('logout').addEventListener('click', function () {
    api('POST', '/auth/logout').catch(function () { }).then(function () { window.location.assign('/login'); });
  });

  document.getElementById('profile-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var v = values(e.target);
    api('PATCH', '/auth/me', { displayName: v.displayName, language: v.language })
      .then(function (account) {
        if (account.language !== document.body.dataset.lang) {
          // The page in the new language (the session keeps the language of its login until the next one).
          window.location.assign('/account?lang=' + encodeURIComponent(account.language));
          return;
        }
        say('profile-status', t('saved'));
      })
      .catch(function (err) { say('profile-status', t('failed', err.message), true); });
  });

  document.getElementById('password-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var v = values(e.target);
    if (v.newPassword !== v.repeatPassword) { say('password-status', t('password_mismatch'), true); return; }
    api('POST', '/auth/password', { currentPassword: v.currentPassword, newPassword: v.newPassword })
      .then(function () { e.target.reset(); say('password-status', t('password_changed')); })
      .catch(function (err) { say('password-status', t('failed', err.message), true); });
  });

  document.getElementById('totp-enrol-form').addEventListener('submit', function (e) {
    e.preventDefault();
    api('POST', '/auth/totp/enrol', { password: values(e.target).password })
      .then(function (enrolment) {
        e.target.reset();
        document.getElementById('totp-secret').textContent = enrolment.secret;
        var link = document.getElementById('totp-uri');
        link.textContent = enrolment.otpauthUri;
        link.href = enrolment.otpauthUri;
        document.getElementById('totp-pending').hidden = false;
        say('totp-status', '');
      })
      .catch(function (err) { say('totp-status', t('failed', err.message), true); });
  });

  document.getElementById('totp-confirm-form').addEventListener('submit', function (e) {
    e.preventDefault();
    api('POST', '/auth/totp/confirm', { code: values(e.target).code.trim() })
      .then(function () {
        e.target.reset();
        document.getElementById('totp-pending').hidden = true;
        document.getElementById('totp-enrol-form').hidden = true;
        document.getElementById('totp-remove-form').hidden = false;
        document.getElementById('totp-state').textContent = t('totp_on');
        say('totp-status', t('totp_enabled'));
      })
      .catch(function (err) { say('totp-status', t('failed', err.message), true); });
  });

  document.getElementById('totp-remove-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var v = values(e.target);
    api('DELETE', '/auth/totp', { password: v.password, code: v.code.trim() })
      .then(function () {
        e.target.reset();
        document.getElementById('totp-remove-form').hidden = true;
        document.getElementById('totp-enrol-form').hidden = false;
        document.getElementById('totp-state').textContent = t('totp_off');
        say('totp-status', t('totp_removed'));
      })
      .catch(function (err) { say('totp-status', t('failed', err.message), true); });
  });

  document.getElementById('logout-everywhere').addEventListener('click', function () {
    api('POST', '/auth/logout-everywhere')
      .then(function () { window.location.assign('/login'); })
      .catch(function (err) { say('sessions-status', t('failed', err.message), true); });
  });

  document.body.dataset.ready = 'true';
})();
