namespace Pacs.Gateway.Viewer;

/// <summary>
/// Appended to app-config.js: the viewer's side of the session (issue 12). Any 401 from our API (the session expired
/// or was revoked mid-reading) sends the page to /login once, with the current address to come back to; a badge in
/// the top right corner shows the user's name and role with a logout button. The session itself is the HttpOnly
/// cookie, which the viewer never sees or handles.
/// </summary>
internal static class SessionScript
{
    public const string Text = """

        // ---- Session (Gateway/Viewer/SessionScript.cs) ----
        (function () {
          'use strict';
          var leaving = false;
          function toLogin() {
            if (leaving) { return; }
            leaving = true;
            window.location.assign('/login?returnUrl=' + encodeURIComponent(window.location.pathname + window.location.search));
          }
          function isOurs(url) {
            try { return new URL(url, window.location.href).origin === window.location.origin; } catch (e) { return false; }
          }
          var originalFetch = window.fetch;
          window.fetch = function (input, init) {
            return originalFetch.call(this, input, init).then(function (response) {
              if (response.status === 401 && isOurs(response.url)) { toLogin(); }
              return response;
            });
          };
          var originalOpen = XMLHttpRequest.prototype.open;
          XMLHttpRequest.prototype.open = function (method, url) {
            this.addEventListener('load', function () {
              if (this.status === 401 && isOurs(this.responseURL || url)) { toLogin(); }
            });
            return originalOpen.apply(this, arguments);
          };
          function badge(me) {
            var box = document.createElement('div');
            box.id = 'pacs-session';
            box.setAttribute('style', 'position:fixed;top:6px;right:120px;z-index:10000;font:12px system-ui,sans-serif;color:#e0e0e0;' +
              'background:rgba(9,12,41,.85);padding:3px 8px;border-radius:4px;display:flex;gap:8px;align-items:center');
            var who = document.createElement('span');
            who.id = 'pacs-session-user';
            who.textContent = (me.displayName || me.username) + ' (' + me.role + ')';
            var out = document.createElement('button');
            out.id = 'pacs-logout';
            out.textContent = 'Logout';
            out.setAttribute('style', 'font:inherit;background:#5acce6;color:#000;border:0;border-radius:3px;padding:1px 6px;cursor:pointer');
            out.addEventListener('click', function () {
              leaving = true;
              originalFetch('/auth/logout', { method: 'POST', credentials: 'same-origin' })
                .finally(function () { window.location.assign('/login?loggedOut=1'); });
            });
            box.appendChild(who);
            box.appendChild(out);
            document.body.appendChild(box);
          }
          function showBadge() {
            originalFetch('/auth/me', { credentials: 'same-origin' }).then(function (r) {
              if (r.status === 401) { toLogin(); return null; }
              return r.ok ? r.json() : null;
            }).then(function (me) { if (me) { badge(me); } }).catch(function () {});
          }
          if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', showBadge); } else { showBadge(); }
        })();

        """;
}
