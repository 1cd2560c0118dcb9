// The admin page (GET /admin; Gateway/Admin/Pages/AdminPages.cs): tabs for accounts (/api/users), access groups
// (/api/access-groups, /api/studies/{uid}/access-groups), DICOM nodes (/api/dicom-nodes), report templates
// (/api/report-templates) with the shared report macros (/api/report-macros?scope=shared) and the audit trail (/api/audit, its export and verify). Data is put into the page with
// textContent only; every state change is a same-origin fetch (Origin header for the same-origin check).
(function () {
  'use strict';
  var strings = JSON.parse(document.getElementById('pacs-strings').textContent);
  function t(key) {
    var text = strings[key] || key;
    for (var i = 1; i < arguments.length; i++) { text = text.split('{' + (i - 1) + '}').join(String(arguments[i])); }
    return text;
  }
  function $(id) { return document.getElementById(id); }
  function say(id, text, error) {
    var p = $(id);
    p.textContent = text;
    p.classList.toggle('error', !!error);
  }
  function api(method, url, body) {
    var options = { method: method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (r) {
      if (r.status === 401) { window.location.assign('/login?returnUrl=' + encodeURIComponent('/admin' + window.location.hash)); throw new Error('401'); }
      return r.text().then(function (text) {
        var json = text ? JSON.parse(text) : null;
        if (!r.ok) { throw new Error((json && (json.detail || json.title)) || String(r.status)); }
        return json;
      });
    });
  }
  function fail(id) { return function (err) { say(id, t('failed', err.message), true); }; }
  function values(form) {
    var result = {};
    new FormData(form).forEach(function (value, key) { result[key] = String(value); });
    return result;
  }
  function list(text) { return text.split(',').map(function (s) { return s.trim(); }).filter(function (s) { return s.length > 0; }); }
  function row(table, cells, onSelect) {
    var tr = document.createElement('tr');
    cells.forEach(function (text, i) {
      var td = document.createElement('td');
      td.textContent = text === undefined || text === null ? '' : String(text);
      if (table.dataset.detailColumn === String(i)) { td.className = 'detail'; }
      tr.appendChild(td);
    });
    if (onSelect) {
      tr.className = 'selectable';
      tr.tabIndex = 0;
      tr.addEventListener('click', function () { onSelect(tr); });
      tr.addEventListener('keydown', function (e) { if (e.key === 'Enter') { onSelect(tr); } });
    }
    table.tBodies[0].appendChild(tr);
    return tr;
  }
  function clear(table) { table.tBodies[0].textContent = ''; }
  function select(tr) {
    Array.prototype.forEach.call(tr.parentNode.children, function (r) { r.classList.toggle('selected', r === tr); });
  }

  $('logout').addEventListener('click', function () {
    api('POST', '/auth/logout').catch(function () { }).then(function () { window.location.assign('/login'); });
  });

  // ---------------------------------------------------------------- tabs
  var loaded = {};
  var loaders = {};
  function show(tab) {
    if (!loaders[tab]) { tab = 'accounts'; }
    document.querySelectorAll('#tabs a').forEach(function (a) { a.setAttribute('aria-selected', String(a.dataset.tab === tab)); });
    document.querySelectorAll('section.tab').forEach(function (s) { s.hidden = s.id !== 'tab-' + tab; });
    if (!loaded[tab]) { loaded[tab] = true; loaders[tab](); }
  }
  window.addEventListener('hashchange', function () { show(window.location.hash.slice(1)); });

  // ---------------------------------------------------------------- accounts
  var accountPage = { offset: 0, limit: 50, total: 0 };
  var editing = null;
  function loadAccounts() {
    var search = $('account-search-text').value.trim();
    var query = 'offset=' + accountPage.offset + '&limit=' + accountPage.limit + (search ? '&search=' + encodeURIComponent(search) : '');
    return api('GET', '/api/users?' + query).then(function (page) {
      var table = $('account-table');
      clear(table);
      accountPage.total = page.total;
      page.items.forEach(function (a) {
        var tr = row(table, [a.username, a.displayName, t('role_' + a.role), (a.groups || []).join(', '), a.language,
          a.enabled ? t('enabled') : t('disabled'), a.totpEnabled ? t('yes') : t('no')], function (r) { select(r); edit(a); });
        tr.dataset.username = a.username;
      });
      $('accounts-page').textContent = page.total === 0 ? t('empty') : t('page_info', accountPage.offset + 1, accountPage.offset + page.items.length, page.total);
      $('accounts-prev').disabled = accountPage.offset === 0;
      $('accounts-next').disabled = accountPage.offset + page.items.length >= page.total;
    }).catch(fail('account-create-status'));
  }
  function edit(account) {
    editing = account.username;
    var form = $('account-edit-form');
    $('account-edit-title').textContent = t('account_edit', account.username);
    form.elements.displayName.value = account.displayName || '';
    form.elements.email.value = account.email || '';
    form.elements.role.value = account.role;
    form.elements.language.value = account.language;
    form.elements.groups.value = (account.groups || []).join(', ');
    form.elements.enabled.checked = !!account.enabled;
    $('account-remove-totp').disabled = !account.totpEnabled;
    say('account-edit-status', '');
    $('account-edit').hidden = false;
  }
  function user(path) { return '/api/users/' + encodeURIComponent(editing) + (path || ''); }
  loaders.accounts = loadAccounts;
  $('account-search').addEventListener('submit', function (e) { e.preventDefault(); accountPage.offset = 0; loadAccounts(); });
  $('accounts-prev').addEventListener('click', function () { accountPage.offset = Math.max(0, accountPage.offset - accountPage.limit); loadAccounts(); });
  $('accounts-next').addEventListener('click', function () { accountPage.offset += accountPage.limit; loadAccounts(); });
  $('account-create').addEventListener('submit', function (e) {
    e.preventDefault();
    var form = e.target;
    var v = values(form);
    var body = {
      username: v.username.trim(), role: v.role, displayName: v.displayName, email: v.email, language: v.language,
      password: v.password || null, mustChangePassword: form.elements.mustChangePassword.checked
    };
    if (v.groups.trim()) { body.groups = list(v.groups); }
    api('POST', '/api/users', body).then(function (created) {
      form.reset();
      var text = t('created', created.account.username);
      if (created.generatedPassword) { text += ' ' + t('generated_password', created.generatedPassword); }
      say('account-create-status', text);
      loadAccounts();
    }).catch(fail('account-create-status'));
  });
  $('account-edit-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var form = e.target;
    api('PATCH', user(), {
      displayName: form.elements.displayName.value, email: form.elements.email.value, role: form.elements.role.value,
      language: form.elements.language.value, groups: list(form.elements.groups.value), enabled: form.elements.enabled.checked
    }).then(function (account) { edit(account); say('account-edit-status', t('saved')); loadAccounts(); })
      .catch(fail('account-edit-status'));
  });
  $('account-reset').addEventListener('click', function () {
    api('POST', user('/password'), {}).then(function (answer) {
      say('account-edit-status', t('generated_password', answer.generatedPassword));
    }).catch(fail('account-edit-status'));
  });
  $('account-revoke').addEventListener('click', function () {
    api('POST', user('/revoke-sessions')).then(function (answer) { say('account-edit-status', t('sessions_revoked', answer.revoked)); })
      .catch(fail('account-edit-status'));
  });
  $('account-remove-totp').addEventListener('click', function () {
    api('DELETE', user('/totp')).then(function (account) { edit(account); say('account-edit-status', t('totp_removed')); loadAccounts(); })
      .catch(fail('account-edit-status'));
  });

  // ---------------------------------------------------------------- access groups
  function loadGroups() {
    return api('GET', '/api/access-groups').then(function (answer) {
      var table = $('group-table');
      clear(table);
      answer.items.forEach(function (g) { row(table, [g.name, g.studies, g.accounts]); });
      if (answer.items.length === 0) { say('groups-status', t('empty')); }
    }).catch(fail('groups-status'));
  }
  loaders.groups = loadGroups;
  $('study-groups-load').addEventListener('submit', function (e) {
    e.preventDefault();
    var uid = $('study-uid').value.trim();
    api('GET', '/api/studies/' + encodeURIComponent(uid) + '/access-groups').then(function (answer) {
      $('study-groups').value = answer.groups.join(', ');
      $('study-groups-save').hidden = false;
      say('groups-status', '');
    }).catch(function (err) { $('study-groups-save').hidden = true; fail('groups-status')(err); });
  });
  $('study-groups-save').addEventListener('submit', function (e) {
    e.preventDefault();
    var uid = $('study-uid').value.trim();
    api('PUT', '/api/studies/' + encodeURIComponent(uid) + '/access-groups', { groups: list($('study-groups').value) })
      .then(function (answer) { $('study-groups').value = answer.groups.join(', '); say('groups-status', t('saved')); loadGroups(); })
      .catch(fail('groups-status'));
  });

  // ---------------------------------------------------------------- DICOM nodes
  function loadNodes() {
    return api('GET', '/api/dicom-nodes').then(function (nodes) {
      var table = $('node-table');
      clear(table);
      nodes.forEach(function (n) {
        row(table, [n.aeTitle, n.host, n.port, (n.services || []).join(', '), n.requireUserIdentity ? t('yes') : t('no'), n.description],
          function (r) { select(r); fillNode(n); });
      });
    }).catch(fail('nodes-status'));
  }
  function fillNode(n) {
    var form = $('node-form');
    form.elements.aeTitle.value = n.aeTitle;
    form.elements.host.value = n.host;
    form.elements.port.value = n.port;
    form.elements.description.value = n.description || '';
    form.querySelectorAll('input[name=service]').forEach(function (box) { box.checked = (n.services || []).indexOf(box.value) >= 0; });
    form.elements.requireUserIdentity.checked = !!n.requireUserIdentity;
    say('nodes-status', '');
  }
  loaders.nodes = loadNodes;
  $('node-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var form = e.target;
    var services = [];
    form.querySelectorAll('input[name=service]:checked').forEach(function (box) { services.push(box.value); });
    api('PUT', '/api/dicom-nodes/' + encodeURIComponent(form.elements.aeTitle.value.trim()), {
      host: form.elements.host.value.trim(), port: parseInt(form.elements.port.value, 10), description: form.elements.description.value,
      services: services, requireUserIdentity: form.elements.requireUserIdentity.checked
    }).then(function () { say('nodes-status', t('saved')); loadNodes(); }).catch(fail('nodes-status'));
  });
  $('node-delete').addEventListener('click', function () {
    var ae = $('node-form').elements.aeTitle.value.trim();
    if (!ae) { return; }
    api('DELETE', '/api/dicom-nodes/' + encodeURIComponent(ae)).then(function () {
      $('node-form').reset();
      say('nodes-status', t('deleted'));
      loadNodes();
    }).catch(fail('nodes-status'));
  });
  $('node-new').addEventListener('click', function () { $('node-form').reset(); say('nodes-status', ''); });

  // ---------------------------------------------------------------- report templates
  function templateLanguage() { return $('template-language').value; }
  function loadTemplates() {
    return api('GET', '/api/report-templates?lang=' + encodeURIComponent(templateLanguage())).then(function (answer) {
      var table = $('template-table');
      clear(table);
      answer.templates.forEach(function (tpl) {
        row(table, [tpl.id, tpl.modality, tpl.bodyPart, tpl.name], function (r) { select(r); fillTemplate(tpl); });
      });
    }).catch(fail('templates-status'));
  }
  function fillTemplate(tpl) {
    var form = $('template-form');
    ['id', 'modality', 'bodyPart', 'name', 'technique', 'comparison', 'findings', 'impression'].forEach(function (k) { form.elements[k].value = tpl[k] || ''; });
    form.elements.keywords.value = (tpl.keywords || []).join(', ');
    say('templates-status', '');
  }
  loaders.templates = function () { return Promise.all([loadTemplates(), loadMacros()]); };
  $('template-language').addEventListener('change', function () { loadTemplates(); loadMacros(); });
  $('template-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var form = e.target;
    var body = {};
    ['modality', 'bodyPart', 'name', 'technique', 'comparison', 'findings', 'impression'].forEach(function (k) { body[k] = form.elements[k].value; });
    body.keywords = list(form.elements.keywords.value);
    api('PUT', '/api/report-templates/' + encodeURIComponent(form.elements.id.value.trim()) + '?lang=' + encodeURIComponent(templateLanguage()), body)
      .then(function () { say('templates-status', t('saved')); loadTemplates(); }).catch(fail('templates-status'));
  });
  $('template-retire').addEventListener('click', function () {
    var id = $('template-form').elements.id.value.trim();
    if (!id) { return; }
    api('DELETE', '/api/report-templates/' + encodeURIComponent(id) + '?lang=' + encodeURIComponent(templateLanguage()))
      .then(function () { $('template-form').reset(); say('templates-status', t('retired')); loadTemplates(); })
      .catch(fail('templates-status'));
  });
  $('template-new').addEventListener('click', function () { $('template-form').reset(); say('templates-status', ''); });

  // ---------------------------------------------------------------- shared report macros, in the templates' language
  var selectedMacro = null;
  function loadMacros() {
    return api('GET', '/api/report-macros?scope=shared&lang=' + encodeURIComponent(templateLanguage())).then(function (answer) {
      var table = $('macro-table');
      clear(table);
      answer.macros.forEach(function (m) {
        row(table, ['/' + m.name, m.text], function (r) { select(r); fillMacro(m); });
      });
    }).catch(fail('macros-status'));
  }
  function fillMacro(m) {
    selectedMacro = m;
    $('macro-form').elements.name.value = m.name;
    $('macro-form').elements.text.value = m.text;
    say('macros-status', '');
  }
  function newMacro() {
    selectedMacro = null;
    $('macro-form').reset();
  }
  $('macro-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var form = e.target;
    var language = templateLanguage();
    var body = { name: form.elements.name.value.trim(), language: language, text: form.elements.text.value, shared: true };
    var existing = selectedMacro && selectedMacro.language === language ? selectedMacro : null;
    api(existing ? 'PUT' : 'POST', '/api/report-macros' + (existing ? '/' + existing.id : ''), body)
      .then(function () { newMacro(); say('macros-status', t('saved')); loadMacros(); }).catch(fail('macros-status'));
  });
  $('macro-delete').addEventListener('click', function () {
    if (!selectedMacro) { return; }
    api('DELETE', '/api/report-macros/' + selectedMacro.id)
      .then(function () { newMacro(); say('macros-status', t('deleted')); loadMacros(); }).catch(fail('macros-status'));
  });
  $('macro-new').addEventListener('click', function () { newMacro(); say('macros-status', ''); });

  // ---------------------------------------------------------------- audit
  var auditNext = null;
  // datetime-local is the browser's local time without a zone; the API takes ISO 8601 with one.
  function instant(value) { return value ? new Date(value).toISOString() : ''; }
  function auditQuery() {
    var v = values($('audit-filter'));
    var params = new URLSearchParams();
    if (v.from) { params.set('from', instant(v.from)); }
    if (v.to) { params.set('to', instant(v.to)); }
    ['actor', 'action', 'patientId', 'studyInstanceUid', 'outcome'].forEach(function (k) { if (v[k] && v[k].trim()) { params.set(k, v[k].trim()); } });
    return params;
  }
  function exportLink() {
    var v = values($('audit-filter'));
    var to = v.to ? instant(v.to) : new Date().toISOString();
    var from = v.from ? instant(v.from) : new Date(Date.parse(to) - 24 * 3600 * 1000).toISOString();
    $('audit-export').href = '/api/audit/export?from=' + encodeURIComponent(from) + '&to=' + encodeURIComponent(to);
  }
  function loadAudit(more) {
    var params = auditQuery();
    params.set('limit', '50');
    if (more && auditNext) { params.set('before', String(auditNext)); }
    exportLink();
    say('audit-status', t('loading'));
    return api('GET', '/api/audit?' + params.toString()).then(function (page) {
      var table = $('audit-table');
      table.dataset.detailColumn = '8';
      if (!more) { clear(table); }
      page.items.forEach(function (e) {
        var tr = row(table, [new Date(e.time).toLocaleString(document.documentElement.lang), e.actor, e.role, e.action, t('outcome_' + e.outcome),
          e.patientId, e.studyInstanceUid, e.clientAddress, e.detail]);
        tr.dataset.action = e.action;
      });
      auditNext = page.next;
      $('audit-more').disabled = !page.next;
      say('audit-status', table.tBodies[0].children.length === 0 ? t('empty') : '');
    }).catch(fail('audit-status'));
  }
  loaders.audit = function () { return loadAudit(false); };
  $('audit-filter').addEventListener('submit', function (e) { e.preventDefault(); loadAudit(false); });
  $('audit-filter').addEventListener('change', exportLink);
  $('audit-more').addEventListener('click', function () { loadAudit(true); });
  $('audit-verify').addEventListener('click', function () {
    api('GET', '/api/audit/verify').then(function (v) {
      if (v.status === 'OK') { say('audit-status', t('verify_ok', v.checked)); } else { say('audit-status', t('verify_broken', v.brokenSeq, v.reason), true); }
    }).catch(fail('audit-status'));
  });

  show(window.location.hash.slice(1));
  document.body.dataset.ready = 'true';
})();
